// The web page, on the server's own LibreTranslate routes: /frontend/settings (limits, key,
// suggestions, file formats), /languages, /translate (auto-detect, alternatives), /translate_file,
// /suggest; "Details" asks /v1/translate for the n-best list with scores and the attention.
// No framework, no build step.
"use strict";

const $ = (id) => document.getElementById(id);
const AUTO = "auto";
let settings = { charLimit: 5000, frontendTimeout: 500, suggestions: false, supportedFilesFormat: [] };
let pairs = {}; // source -> [targets]
let names = {}; // code -> name
let timer = null;
let sequence = 0; // answers to older requests are dropped
let resolvedSource = null; // the source language of the shown translation
let shownFor = ""; // the text the shown translation is of
let chosenFile = null;

function option(select, code, label) {
  const opt = document.createElement("option");
  opt.value = code;
  opt.textContent = label;
  select.appendChild(opt);
}

function langName(code) { return names[code] || code; }

function fillTargets(keep) {
  const target = $("target");
  const source = $("source").value;
  const targets = source === AUTO
    ? [...new Set(Object.values(pairs).flat())].sort()
    : pairs[source] || [];
  target.innerHTML = "";
  for (const code of targets) option(target, code, langName(code));
  if (keep && targets.includes(keep)) target.value = keep;
  updateSwap();
}

function updateSwap() {
  const source = $("source").value;
  const target = $("target").value;
  const ok = source !== AUTO && (pairs[target] || []).includes(source);
  $("swap").disabled = !ok;
  $("swap").title = ok ? "Swap languages"
    : `${langName(target)} -> ${source === AUTO ? "?" : langName(source)} is not served`;
}

function apiKey() { return $("api-key").value || undefined; }

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

function setStatus(message) { $("status").textContent = message; }

function updateCounter() {
  const length = $("text").value.length;
  $("counter").textContent = `${length} / ${settings.charLimit}`;
  $("counter").classList.toggle("over", length > settings.charLimit);
  $("translate").disabled = length === 0 || length > settings.charLimit;
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) {
    const message = typeof data.error === "string" ? data.error : data.error?.message;
    throw new Error(`${response.status}: ${message || "request failed"}`);
  }
  return data;
}

function showAlternatives(list) {
  const ul = $("alternative-list");
  ul.innerHTML = "";
  for (const text of list) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = text;
    button.addEventListener("click", () => {
      const current = $("result").textContent;
      $("result").textContent = text;
      button.textContent = current;
    });
    li.appendChild(button);
    ul.appendChild(li);
  }
  $("alternatives").hidden = list.length === 0;
}

function showDetected(detected) {
  if (!detected) { $("detected").textContent = ""; return; }
  $("detected").textContent =
    `Detected: ${langName(detected.language)} (${Math.round(detected.confidence)}%)`;
}

async function translate() {
  clearTimeout(timer);
  const text = $("text").value;
  if (!text.trim()) { clearOutput(); return; }
  if (text.length > settings.charLimit) {
    showError(`The text has ${text.length} characters; the limit is ${settings.charLimit}.`);
    return;
  }
  const mine = ++sequence;
  showError("");
  $("output-pane").setAttribute("aria-busy", "true");
  setStatus("Translating…");
  const source = $("source").value;
  const started = performance.now();
  try {
    const data = await post("/translate", {
      q: text, source, target: $("target").value, format: "text",
      alternatives: Math.min(3, settings.alternativesLimit ?? 3), api_key: apiKey(),
    });
    if (mine !== sequence) return;
    $("result").textContent = data.translatedText;
    showAlternatives(data.alternatives || []);
    showDetected(source === AUTO ? data.detectedLanguage : null);
    resolvedSource = source === AUTO ? data.detectedLanguage.language : source;
    shownFor = text;
    setStatus(`${(performance.now() - started).toFixed(0)} ms`);
    $("suggest").hidden = !settings.suggestions;
    if ($("details").open) details();
  } catch (err) {
    if (mine !== sequence) return;
    showError(err.message);
    setStatus("");
  } finally {
    if (mine === sequence) $("output-pane").setAttribute("aria-busy", "false");
  }
}

function clearOutput() {
  sequence++;
  $("result").textContent = "";
  showAlternatives([]);
  showDetected(null);
  showError("");
  setStatus("");
  $("suggest").hidden = true;
  endSuggestion();
}

function schedule() {
  updateCounter();
  clearTimeout(timer);
  if (!$("text").value.trim()) { clearOutput(); return; }
  timer = setTimeout(translate, settings.frontendTimeout);
}

// --- details: n-best with scores and attention (the v1 API) --------------------------------
function heatmap(attention) {
  const table = $("heatmap");
  table.innerHTML = "";
  const head = table.createTHead().insertRow();
  head.appendChild(document.createElement("th"));
  for (const token of attention.src_tokens) {
    const th = document.createElement("th");
    th.textContent = token;
    head.appendChild(th);
  }
  const body = table.createTBody();
  attention.weights.forEach((row, t) => {
    const tr = body.insertRow();
    const th = document.createElement("th");
    th.textContent = attention.tgt_tokens[t];
    tr.appendChild(th);
    const top = Math.max(...row, 1e-6); // shade relative to the row's peak
    row.forEach((weight, s) => {
      const td = tr.insertCell();
      td.style.background = `rgba(60, 110, 230, ${Math.min(1, Math.max(0, weight / top))})`;
      td.title = `${attention.tgt_tokens[t]} → ${attention.src_tokens[s]}: ${weight.toFixed(3)}`;
    });
  });
}

async function details() {
  if (!shownFor || !resolvedSource) return;
  const beam = $("mode-beam").checked;
  const beamSize = Number($("beam-size").value);
  const nBest = Number($("n-best").value);
  if (beam && !(beamSize >= 1 && nBest >= 1 && nBest <= beamSize)) return; // still typing
  const decoding = beam ? { mode: "beam", beam_size: beamSize, n_best: nBest } : { mode: "greedy" };
  const headers = { "Content-Type": "application/json" };
  if (apiKey()) headers["X-API-Key"] = apiKey();
  const started = performance.now();
  try {
    const response = await fetch("/v1/translate", {
      method: "POST", headers,
      body: JSON.stringify({
        text: shownFor, source: resolvedSource, target: $("target").value, decoding,
        return: { scores: true, attention: true },
      }),
    });
    const data = await response.json();
    if (!response.ok) { showError(`${response.status}: ${data.error.message}`); return; }
    showError("");
    const best = data.translations;
    $("score").textContent = best.score.toFixed(4);
    $("model").textContent = `${data.model.id} ${data.model.version}`;
    $("elapsed").textContent = `${(performance.now() - started).toFixed(0)} ms`;
    const list = $("nbest");
    list.innerHTML = "";
    for (const hyp of [{ text: best.text, score: best.score }, ...best.alternatives]) {
      const li = document.createElement("li");
      li.textContent = hyp.text;
      const score = document.createElement("span");
      score.className = "score";
      score.textContent = hyp.score.toFixed(4);
      li.appendChild(score);
      list.appendChild(li);
    }
    heatmap(best.attention);
  } catch (err) {
    showError(`details: ${err}`);
  }
}

// --- copy, clear, swap, suggestions ----------------------------------------------------------
async function copy() {
  const text = $("result").textContent;
  if (!text) return;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  setStatus("Copied");
}

function swap() {
  if ($("swap").disabled) return;
  const source = $("source").value;
  const target = $("target").value;
  const translation = $("result").textContent;
  $("source").value = target;
  fillTargets(source);
  if (translation) $("text").value = translation;
  updateCounter();
  translate();
}

function startSuggestion() {
  $("suggestion").value = $("result").textContent;
  $("suggestion").hidden = false;
  $("result").hidden = true;
  $("suggest").hidden = true;
  $("send-suggestion").hidden = false;
  $("cancel-suggestion").hidden = false;
  $("suggestion").focus();
}

function endSuggestion() {
  $("suggestion").hidden = true;
  $("result").hidden = false;
  $("send-suggestion").hidden = true;
  $("cancel-suggestion").hidden = true;
}

async function sendSuggestion() {
  const body = new URLSearchParams({
    q: shownFor, s: $("suggestion").value, source: resolvedSource, target: $("target").value,
  });
  if (apiKey()) body.set("api_key", apiKey());
  try {
    const response = await fetch("/suggest", { method: "POST", body });
    const data = await response.json();
    if (!response.ok) throw new Error(`${response.status}: ${data.error}`);
    $("result").textContent = $("suggestion").value;
    endSuggestion();
    setStatus("Thank you: suggestion saved");
  } catch (err) {
    showError(err.message);
  }
}

// --- files ---------------------------------------------------------------------------------
function chooseFile(file) {
  chosenFile = file || null;
  $("file-name").textContent = file ? `${file.name} (${Math.ceil(file.size / 1024)} KB)` : "";
  $("translate-file").disabled = !file;
  $("file-result").textContent = "";
}

async function translateFile() {
  if (!chosenFile) return;
  const form = new FormData();
  form.append("file", chosenFile);
  form.append("source", $("source").value);
  form.append("target", $("target").value);
  if (apiKey()) form.append("api_key", apiKey());
  $("translate-file").disabled = true;
  $("file-result").textContent = "Translating…";
  try {
    const response = await fetch("/translate_file", { method: "POST", body: form });
    const data = await response.json();
    if (!response.ok) throw new Error(`${response.status}: ${data.error}`);
    const link = document.createElement("a");
    link.href = data.translatedFileUrl;
    link.id = "download";
    link.download = chosenFile.name;
    link.textContent = `Download ${chosenFile.name} (${langName($("target").value)})`;
    $("file-result").replaceChildren(link);
  } catch (err) {
    $("file-result").textContent = err.message;
  } finally {
    $("translate-file").disabled = false;
  }
}

function selectTab(tab) {
  for (const other of document.querySelectorAll('[role="tab"]')) {
    const selected = other === tab;
    other.setAttribute("aria-selected", String(selected));
    other.tabIndex = selected ? 0 : -1;
    $(other.getAttribute("aria-controls")).hidden = !selected;
  }
  tab.focus();
}

// --- start -----------------------------------------------------------------------------------
async function start() {
  const [frontend, languages] = await Promise.all([
    fetch("/frontend/settings").then((r) => r.json()),
    fetch("/languages").then((r) => r.json()),
  ]);
  settings = { ...settings, ...frontend };
  const source = $("source");
  option(source, AUTO, "Detect language");
  for (const lang of languages) {
    names[lang.code] = lang.name;
    if (lang.targets.length) {
      pairs[lang.code] = lang.targets;
      option(source, lang.code, lang.name);
    }
  }
  const start = frontend.language?.source?.code;
  source.value = start in pairs ? start : AUTO;
  fillTargets(frontend.language?.target?.code);
  $("text").maxLength = settings.charLimit * 2; // the counter tells when it is over
  if (settings.keyRequired) $("key-box").open = true;
  $("tab-file").hidden = !settings.filesTranslation;
  $("formats").textContent = settings.supportedFilesFormat.join(" ");
  $("file").accept = settings.supportedFilesFormat.join(",");
  updateCounter();
}

$("source").addEventListener("change", () => { fillTargets($("target").value); schedule(); });
$("target").addEventListener("change", () => { updateSwap(); schedule(); });
$("text").addEventListener("input", schedule);
$("text").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    translate();
  }
});
$("translate").addEventListener("click", translate);
$("clear").addEventListener("click", () => { $("text").value = ""; updateCounter(); clearOutput(); $("text").focus(); });
$("copy").addEventListener("click", copy);
$("swap").addEventListener("click", swap);
$("suggest").addEventListener("click", startSuggestion);
$("send-suggestion").addEventListener("click", sendSuggestion);
$("cancel-suggestion").addEventListener("click", endSuggestion);
$("details").addEventListener("toggle", () => { if ($("details").open) details(); });
for (const id of ["mode-greedy", "mode-beam", "beam-size", "n-best"]) {
  $(id).addEventListener("change", () => { if (id === "mode-greedy") $("n-best").value = 1; details(); });
}
for (const tab of document.querySelectorAll('[role="tab"]')) {
  tab.addEventListener("click", () => selectTab(tab));
  tab.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    const tabs = [...document.querySelectorAll('[role="tab"]')].filter((t) => !t.hidden);
    const next = tabs[(tabs.indexOf(tab) + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
    selectTab(next);
  });
}
$("file").addEventListener("change", () => chooseFile($("file").files[0]));
const zone = $("dropzone");
zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
zone.addEventListener("dragleave", () => zone.classList.remove("over"));
zone.addEventListener("drop", (event) => {
  event.preventDefault();
  zone.classList.remove("over");
  chooseFile(event.dataTransfer.files[0]);
});
$("translate-file").addEventListener("click", translateFile);
start().catch((err) => showError(`cannot load the server's settings: ${err}`));
