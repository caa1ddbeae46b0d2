// The web page: fills the language lists from /languages, sends the form to /v1/translate
// (with n-best, scores and attention) and shows the result. No framework, no build step.
// Heatmap cells are shaded relative to their row's largest weight; the tooltip has the value.
"use strict";

const $ = (id) => document.getElementById(id);
let pairs = {}; // source -> [targets]
let names = {}; // code -> name

function option(select, code, name) {
  const opt = document.createElement("option");
  opt.value = code;
  opt.textContent = `${name} (${code})`;
  select.appendChild(opt);
}

function fillTargets() {
  const target = $("target");
  target.innerHTML = "";
  for (const code of pairs[$("source").value] || []) option(target, code, names[code] || code);
}

async function loadLanguages() {
  const response = await fetch("/languages");
  const languages = await response.json();
  const source = $("source");
  for (const lang of languages) {
    names[lang.code] = lang.name;
    if (lang.targets.length) {
      pairs[lang.code] = lang.targets;
      option(source, lang.code, lang.name);
    }
  }
  fillTargets();
}

function request() {
  const beam = $("mode-beam").checked;
  const decoding = beam
    ? { mode: "beam", beam_size: Number($("beam-size").value), n_best: Number($("n-best").value) }
    : { mode: "greedy" };
  return {
    text: $("text").value,
    source: $("source").value,
    target: $("target").value,
    decoding,
    return: { scores: true, attention: true },
  };
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = false;
}

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
    const top = Math.max(...row, 1e-6); // shade relative to the row's peak: flat rows stay readable
    row.forEach((weight, s) => {
      const td = tr.insertCell();
      td.style.background = `rgba(30, 80, 200, ${Math.min(1, Math.max(0, weight / top))})`;
      td.title = `${attention.tgt_tokens[t]} → ${attention.src_tokens[s]}: ${weight.toFixed(3)}`;
      td.dataset.weight = String(weight);
    });
  });
}

function show(data, elapsedMs) {
  const best = data.translations;
  $("result").textContent = best.text;
  $("score").textContent = best.score.toFixed(4);
  $("model").textContent = `${data.model.id} ${data.model.version}`;
  $("elapsed").textContent = `${elapsedMs.toFixed(0)} ms`;
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
  $("output").hidden = false;
}

async function translate(event) {
  event.preventDefault();
  $("error").hidden = true;
  $("translate").disabled = true;
  const headers = { "Content-Type": "application/json" };
  if ($("api-key").value) headers["X-API-Key"] = $("api-key").value;
  const started = performance.now();
  try {
    const response = await fetch("/v1/translate", {
      method: "POST",
      headers,
      body: JSON.stringify(request()),
    });
    const data = await response.json();
    if (!response.ok) showError(`${response.status}: ${data.error.message}`);
    else show(data, performance.now() - started);
  } catch (err) {
    showError(`request failed: ${err}`);
  } finally {
    $("translate").disabled = false;
  }
}

$("source").addEventListener("change", fillTargets);
$("form").addEventListener("submit", translate);
$("mode-greedy").addEventListener("change", () => { $("n-best").value = 1; });
loadLanguages().catch((err) => showError(`cannot list languages: ${err}`));
