// mitan's browser phone (/simulator, training mode only). Plain JavaScript, no library: the
// keypad types into #reply; green dials the campaign's USSD code (typed into #reply) or sends an
// answer; red ends the session. Every hop goes to POST /admin/simulator/hop, which answers the screen
// as a handset shows it, with its size; SMS go to POST /admin/simulator/sms and the replies are read
// from GET /admin/simulator/inbox.
"use strict";

(function () {
  const root = document.getElementById("simulator");
  if (!root) {
    return;
  }
  const $ = (id) => document.getElementById(id);
  const screen = $("screen");
  const reply = $("reply");
  const phone = root.dataset.phone;
  const ussdCode = root.dataset.ussdCode;
  const timeout = Number(root.dataset.timeout);

  // The session: its id, every input so far (the path the aggregator reports), the page of a
  // paginated screen, and the seconds left before the network would drop it.
  let session = null;
  let inputs = [];
  let page = 1;
  let left = 0;
  let ticking = null;
  let lastText = screen.textContent;

  // What an older handset cannot draw: anything past Latin and its extensions shows as a box,
  // which is why the menu offers Hindi in Roman letters.
  const undrawable = /[^\u0000-\u024F\u2010-\u2027\u20AC]/gu;
  function draw(text) {
    lastText = text;
    screen.textContent = $("no-devanagari").checked ? text.replace(undrawable, "\u25A1") : text;
  }
  $("no-devanagari").addEventListener("change", () => draw(lastText));

  function post(path, fields) {
    return fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields),
    });
  }

  function countdown() {
    clearInterval(ticking);
    left = timeout;
    $("countdown").textContent = left + " s";
    ticking = setInterval(() => {
      left -= 1;
      $("countdown").textContent = Math.max(left, 0) + " s";
      if (left <= 0) {
        clearInterval(ticking);
        finish();
        draw(root.dataset.timedOut);
      }
    }, 1000);
  }

  function finish() {
    session = null;
    inputs = [];
    page = 1;
    clearInterval(ticking);
    $("countdown").textContent = "–";
  }

  async function hop() {
    const answer = await post("/admin/simulator/hop", {
      phone: phone,
      session: session,
      text: inputs.join("*"),
    });
    if (!answer.ok) {
      draw(await answer.text());
      finish();
      return;
    }
    const shown = await answer.json();
    draw(shown.text);
    $("screen-size").textContent = shown.units + " / " + shown.limit + " " + shown.encoding;
    $("screen-page").textContent = String(page);
    if (shown.end) {
      finish();
      pollSoon();
    } else {
      countdown();
    }
  }

  function dial() {
    const typed = reply.value.trim();
    reply.value = "";
    if (typed !== ussdCode) {
      draw(root.dataset.badDial);
      return;
    }
    session = "SIM" + Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
    inputs = [];
    page = 1;
    hop();
  }

  function send() {
    if (session === null) {
      dial();
      return;
    }
    const typed = reply.value.trim();
    reply.value = "";
    // 98 turns to the next page of a long screen and 0 back; anything else is a new screen.
    if (typed === "98") {
      page += 1;
    } else if (typed === "0" && page > 1) {
      page -= 1;
    } else {
      page = 1;
    }
    inputs.push(typed);
    hop();
  }

  async function hangUp() {
    if (session !== null) {
      const ended = session;
      finish();
      await post("/admin/simulator/end", { session: ended });
    }
    reply.value = "";
    draw("");
    $("screen-size").textContent = "–";
    $("screen-page").textContent = "–";
  }

  for (const key of document.querySelectorAll("#keypad [data-key]")) {
    key.addEventListener("click", () => {
      reply.value += key.dataset.key;
      reply.focus();
    });
  }
  $("key-green").addEventListener("click", send);
  $("send").addEventListener("click", send);
  $("key-red").addEventListener("click", hangUp);
  reply.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      send();
    }
  });

  // SMS: what the trainee types goes to the service as an SMS from the demo phone; what the
  // service sends back arrives in the inbox, read every two seconds while something may come.
  let shownMessages = 0;
  let polls = 0;
  async function poll() {
    const answer = await fetch("/admin/simulator/inbox?" + new URLSearchParams({ phone: phone }), {
      credentials: "same-origin",
    });
    if (answer.ok) {
      const inbox = await answer.json();
      for (const text of inbox.messages.slice(shownMessages)) {
        const item = document.createElement("li");
        item.textContent = text;
        $("inbox").appendChild(item);
      }
      shownMessages = Math.max(shownMessages, inbox.messages.length);
    }
    polls -= 1;
    if (polls > 0) {
      setTimeout(poll, 2000);
    }
  }
  function pollSoon() {
    const idle = polls <= 0;
    polls = 15;
    if (idle) {
      setTimeout(poll, 300);
    }
  }
  $("sms-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("sms-text").value;
    if (text.trim() === "") {
      return;
    }
    $("sms-text").value = "";
    await post("/admin/simulator/sms", { phone: phone, text: text });
    pollSoon();
  });
  pollSoon();
})();
