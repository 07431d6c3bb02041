// Live character / encoding / segment / cost counter for SMS template bodies in the admin.
// Mirrors sms/segments.py: one character outside GSM-7 makes the whole message UCS-2.
// The GSM-7 alphabet comes from the server (sms/segments.py) in the page's counter config.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("sms-counter-config").textContent);
  const BASIC = config.gsm7Basic;
  const EXTENSION = config.gsm7Extension;

  function count(body) {
    let gsm = true;
    let septets = 0;
    for (const ch of body) {
      if (BASIC.includes(ch)) septets += 1;
      else if (EXTENSION.includes(ch)) septets += 2;
      else { gsm = false; break; }
    }
    if (gsm) {
      const segments = septets === 0 ? 0 : septets <= 160 ? 1 : Math.ceil(septets / 153);
      return { encoding: "GSM-7", characters: septets, segments: segments };
    }
    const units = body.length; // UTF-16 code units, as on the air
    const segments = units <= 70 ? 1 : Math.ceil(units / 67);
    return { encoding: "UCS-2", characters: units, segments: segments };
  }

  function isMarketing() {
    const priority = document.getElementById("id_priority");
    return priority && priority.value === "marketing";
  }

  function attach(textarea) {
    if (textarea.dataset.smsCounter) return;
    textarea.dataset.smsCounter = "1";
    const output = document.createElement("div");
    output.className = "help sms-counter";
    output.setAttribute("aria-live", "polite");
    textarea.insertAdjacentElement("afterend", output);
    function update() {
      const result = count(textarea.value);
      const cost = (result.segments * config.unitPriceCenti / 100).toFixed(2);
      let text = config.labels.summary
        .replace("%(characters)s", result.characters)
        .replace("%(encoding)s", result.encoding)
        .replace("%(segments)s", result.segments)
        .replace("%(cost)s", cost);
      output.style.color = "";
      if (isMarketing() && result.segments > 1) {
        text += " — " + config.labels.marketingWarning;
        output.style.color = "#ba2121";
      }
      output.textContent = text;
    }
    textarea.addEventListener("input", update);
    const priority = document.getElementById("id_priority");
    if (priority) priority.addEventListener("change", update);
    update();
  }

  function scan() {
    document.querySelectorAll("textarea[name$='-body']").forEach(attach);
  }
  document.addEventListener("DOMContentLoaded", scan);
  document.addEventListener("formset:added", scan);
})();
