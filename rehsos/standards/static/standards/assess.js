/* The assessment form: every answer is saved as it is given, and kept on the device
 * until the server has it.
 *
 * Each change of a criterion's answer gets a revision (one more than the highest the
 * page or the queue knows for that criterion) and is written to localStorage under
 * "rehsos.assess.<user>.<assessment>.<criterion>" before it is sent. The entry is
 * removed only when the server confirms that revision (or tells us it holds a newer
 * answer). So a lost connection, a closed tab or a reload loses nothing: unsent
 * entries are restored on load and sent again on the `online` event and every
 * RETRY_MS. The server orders saves by revision, so a replayed, older save never
 * overwrites a newer one (it answers 409 with the stored answer, which is shown).
 *
 * Without JavaScript the same forms post normally (a "Save" button per criterion).
 */
(function () {
  "use strict";

  var root = document.getElementById("assess");
  if (!root) return;
  var TEXT = JSON.parse(document.getElementById("assess-text").textContent);
  var RETRY_MS = 15000;
  var TYPING_MS = 900;
  var editable = root.getAttribute("data-editable") === "1";
  var prefix = "rehsos.assess." + root.getAttribute("data-user") + "." +
    root.getAttribute("data-assessment") + ".";
  var answerUrl = root.getAttribute("data-answer-url");
  var limitBytes = parseInt(root.getAttribute("data-limit-bytes") || "0", 10);
  var serverAnswered = parseInt(root.getAttribute("data-answered") || "0", 10);
  var total = parseInt(root.getAttribute("data-total") || "0", 10);
  var articles = {};
  var inflight = {};
  var memory = {}; // the queue when localStorage cannot be used (private mode, full)
  var signedOut = false;
  var storage = (function () {
    try {
      var probe = prefix + "probe";
      window.localStorage.setItem(probe, "1");
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (e) {
      return null;
    }
  })();

  root.classList.add("js");
  Array.prototype.forEach.call(root.querySelectorAll("[data-criterion]"), function (art) {
    articles[art.getAttribute("data-criterion")] = art;
    art.setAttribute("data-answered-initially", art.getAttribute("data-answered"));
  });

  function text(key, values) {
    var s = TEXT[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      s = s.split("%(" + name + ")s").join(String(values[name]));
    });
    return s;
  }

  // --- the queue ----------------------------------------------------------------------

  function read(code) {
    var raw = null;
    if (storage) {
      try {
        raw = storage.getItem(prefix + code);
      } catch (e) {
        raw = null;
      }
    }
    if (raw === null) return memory[code] || null;
    try {
      return JSON.parse(raw);
    } catch (e) {
      return null;
    }
  }

  function write(code, item) {
    memory[code] = item;
    if (!storage) return;
    try {
      storage.setItem(prefix + code, JSON.stringify(item));
      delete memory[code];
    } catch (e) {
      showBanner(text("noStorage"));
    }
  }

  function forget(code, revision) {
    var item = read(code);
    if (item && item.revision > revision) return; // a newer change waits
    delete memory[code];
    if (storage) {
      try {
        storage.removeItem(prefix + code);
      } catch (e) {
        /* nothing to do */
      }
    }
  }

  function queuedCodes() {
    var codes = Object.keys(memory);
    if (storage) {
      for (var i = 0; i < storage.length; i++) {
        var key = storage.key(i);
        if (key && key.indexOf(prefix) === 0) {
          var code = key.slice(prefix.length);
          if (codes.indexOf(code) === -1) codes.push(code);
        }
      }
    }
    return codes;
  }

  // --- reading and showing one criterion ----------------------------------------------

  function stateOf(art) {
    var form = art.querySelector("[data-answer-form]");
    var checked = form.querySelector("input[name=choice]:checked");
    return {
      choice: checked ? checked.value : "",
      justification: form.elements.justification.value,
      comment: form.elements.comment.value
    };
  }

  function show(art, state) {
    var form = art.querySelector("[data-answer-form]");
    Array.prototype.forEach.call(form.querySelectorAll("input[name=choice]"), function (input) {
      input.checked = input.value === (state.choice || "");
    });
    form.elements.justification.value = state.justification || "";
    form.elements.comment.value = state.comment || "";
    toggleJustification(art);
  }

  function fromServer(answer) {
    var choice = answer.not_applicable ? "na" : (answer.rating === null ? "" : String(answer.rating));
    return { choice: choice, justification: answer.justification, comment: answer.comment };
  }

  function isAnswered(state) {
    return state.choice === "na" ? state.justification.trim() !== "" : state.choice !== "";
  }

  function toggleJustification(art) {
    var box = art.querySelector("[data-justification]");
    box.hidden = stateOf(art).choice !== "na";
  }

  function serverRevision(art) {
    return parseInt(art.getAttribute("data-revision") || "0", 10);
  }

  function setState(art, kind, message) {
    var el = art.querySelector("[data-state]");
    var css = {
      saved: "text-success", saving: "text-body-secondary", pending: "text-warning-emphasis",
      hold: "text-warning-emphasis", error: "text-danger", stale: "text-danger",
      empty: "text-body-secondary"
    }[kind];
    var label = message || text(kind);
    el.textContent = "";
    var span = document.createElement("span");
    span.className = css;
    span.textContent = (kind === "saved" ? "✓ " : "") + label;
    el.appendChild(span);
    art.setAttribute("data-save-state", kind);
    art.classList.toggle("is-pending", kind === "pending" || kind === "hold" || kind === "saving");
    art.classList.toggle("is-error", kind === "error" || kind === "stale");
  }

  function clearErrors(art) {
    Array.prototype.forEach.call(art.querySelectorAll("[data-error]"), function (el) {
      el.textContent = "";
    });
  }

  function showErrors(art, errors) {
    clearErrors(art);
    Object.keys(errors || {}).forEach(function (field) {
      var el = art.querySelector('[data-error="' + field + '"]') ||
        art.querySelector('[data-error="rating"]');
      el.textContent = errors[field];
    });
  }

  // --- progress and the connection ----------------------------------------------------

  function refreshProgress() {
    var answered = serverAnswered;
    var byDomain = {};
    Array.prototype.forEach.call(root.querySelectorAll("section[data-domain]"), function (s) {
      byDomain[s.getAttribute("data-domain")] = {
        answered: parseInt(s.getAttribute("data-answered"), 10),
        total: s.getAttribute("data-total")
      };
    });
    Object.keys(articles).forEach(function (code) {
      var art = articles[code];
      var was = art.getAttribute("data-answered-initially") === "1";
      var now = isAnswered(stateOf(art));
      var change = (now ? 1 : 0) - (was ? 1 : 0);
      art.setAttribute("data-answered", now ? "1" : "0");
      art.classList.toggle("is-answered", now);
      answered += change;
      var section = art.closest("section[data-domain]");
      if (section) byDomain[section.getAttribute("data-domain")].answered += change;
    });
    Array.prototype.forEach.call(root.querySelectorAll("[data-domain-count]"), function (el) {
      var counts = byDomain[el.getAttribute("data-domain-count")];
      if (counts) el.textContent = counts.answered + "/" + counts.total;
    });
    root.querySelector("[data-progress]").textContent =
      text("answered", { answered: answered, total: total });
    var bar = root.querySelector("[data-progress-bar]");
    bar.setAttribute("aria-valuenow", String(answered));
    bar.firstElementChild.style.width = (total ? Math.round(100 * answered / total) : 0) + "%";
    var waiting = queuedCodes().length;
    root.querySelector("[data-queue]").textContent =
      waiting ? "· " + text("queued", { count: waiting }) : "";
    root.setAttribute("data-queued", String(waiting));
  }

  function setConnection(online) {
    var badge = root.querySelector("[data-connection]");
    badge.textContent = online ? text("online") : text("offline");
    badge.className = "badge " + (online ? "text-bg-success" : "text-bg-warning");
    root.setAttribute("data-online", online ? "1" : "0");
  }

  function showBanner(message) {
    var banner = root.querySelector("[data-banner]");
    banner.textContent = "";
    if (!message) {
      banner.hidden = true;
      return;
    }
    banner.appendChild(document.createTextNode(message + " "));
    if (signedOut) {
      var link = document.createElement("a");
      link.href = root.getAttribute("data-login-url");
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = text("signIn");
      banner.appendChild(link);
    }
    banner.hidden = false;
  }

  function csrfToken(form) {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = (form || root).querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function post(url, body, form) {
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      redirect: "manual",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken(form) }
    }).then(function (response) {
      if (response.type === "opaqueredirect" || (response.status >= 300 && response.status < 400)) {
        throw { signedOut: true };
      }
      var type = response.headers.get("content-type") || "";
      if (type.indexOf("application/json") === -1) {
        // A proxy's error page, or the CSRF refusal after signing in again elsewhere.
        throw { transient: true, status: response.status };
      }
      return response.json().then(function (data) {
        return { status: response.status, data: data };
      });
    });
  }

  // --- sending ------------------------------------------------------------------------

  function urlFor(code) {
    var art = articles[code];
    return art ? art.getAttribute("data-save-url") : answerUrl.replace("__code__", encodeURIComponent(code));
  }

  function send(code) {
    if (inflight[code]) return; // the answer to the request in flight sends the newer one
    var item = read(code);
    if (!item || item.hold) return;
    var art = articles[code];
    var body = new FormData();
    body.append("choice", item.choice);
    body.append("justification", item.justification);
    body.append("comment", item.comment);
    body.append("revision", String(item.revision));
    inflight[code] = true;
    if (art) setState(art, "saving");
    post(urlFor(code), body, art).then(function (result) {
      inflight[code] = false;
      if (signedOut) {
        signedOut = false;
        showBanner("");
      }
      setConnection(true);
      var data = result.data;
      if (result.status === 200) {
        forget(code, item.revision);
        if (art) {
          art.setAttribute("data-revision", String(data.answer.revision));
          clearErrors(art);
        }
        var newer = read(code);
        if (newer && newer.revision > item.revision) {
          send(code);
        } else if (art) {
          setState(art, "saved");
        }
      } else if (result.status === 409 && data.current) {
        // The server holds a newer answer: show it; ours is dropped.
        forget(code, item.revision);
        if (art) {
          art.setAttribute("data-revision", String(data.current.revision));
          var newest = read(code);
          if (newest && newest.revision > data.current.revision) {
            send(code);
          } else {
            show(art, fromServer(data.current));
            setState(art, "stale", data.message);
          }
        }
      } else if (result.status === 429 || result.status >= 500) {
        if (art) setState(art, "pending");
      } else {
        // Refused for good (422 invalid, 403, 404, read-only): retrying cannot help.
        forget(code, item.revision);
        if (art) {
          showErrors(art, data.errors);
          setState(art, "error", text("error") + ": " + (data.message || ""));
        }
      }
      refreshProgress();
    }).catch(function (problem) {
      inflight[code] = false;
      if (art) setState(art, "pending");
      if (problem && problem.signedOut) {
        signedOut = true;
        showBanner(text("signedOut"));
      } else if (!problem || !problem.transient) {
        setConnection(false);
      }
      refreshProgress();
    });
  }

  function flush() {
    queuedCodes().forEach(send);
  }

  function changed(art, immediately) {
    if (!editable) return;
    var code = art.getAttribute("data-criterion");
    var state = stateOf(art);
    var queued = read(code);
    var revision = Math.max(
      serverRevision(art),
      queued ? queued.revision : 0,
      parseInt(art.getAttribute("data-local-revision") || "0", 10)
    ) + 1;
    art.setAttribute("data-local-revision", String(revision));
    state.revision = revision;
    state.at = new Date().toISOString();
    // "Not applicable" is saved once it says why; until then it waits on the device.
    state.hold = state.choice === "na" && state.justification.trim() === "";
    write(code, state);
    clearErrors(art);
    setState(art, state.hold ? "hold" : "pending");
    refreshProgress();
    if (state.hold) {
      if (immediately) art.querySelector("textarea[name=justification]").focus();
      return;
    }
    send(code);
  }

  // --- wiring -------------------------------------------------------------------------

  var timers = {};
  Object.keys(articles).forEach(function (code) {
    var art = articles[code];
    var form = art.querySelector("[data-answer-form]");
    form.addEventListener("change", function (event) {
      if (event.target.name === "choice") toggleJustification(art);
      clearTimeout(timers[code]);
      changed(art, event.target.name === "choice");
    });
    form.addEventListener("input", function (event) {
      if (event.target.tagName !== "TEXTAREA") return;
      clearTimeout(timers[code]);
      timers[code] = setTimeout(function () {
        changed(art, false);
      }, TYPING_MS);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearTimeout(timers[code]);
      changed(art, true);
    });
    wireEvidence(art);
  });

  // Restore what was not sent before the page was left (or the tablet restarted).
  queuedCodes().forEach(function (code) {
    var item = read(code);
    var art = articles[code];
    if (!item) return;
    if (art) {
      if (item.revision <= serverRevision(art)) {
        forget(code, item.revision); // already saved, or a newer answer is on the server
        return;
      }
      show(art, item);
      art.setAttribute("data-local-revision", String(item.revision));
      setState(art, item.hold ? "hold" : "pending");
    }
  });

  // "Unrated only": hides the criteria answered when it is switched on.
  var filter = document.getElementById("unrated-only");
  if (filter) {
    filter.addEventListener("change", function () {
      if (root.getAttribute("data-filtered") === "1" && !filter.checked) {
        window.location.search = ""; // the server left the answered ones out: reload all
        return;
      }
      root.classList.toggle("only-unrated", filter.checked);
      Object.keys(articles).forEach(function (code) {
        var art = articles[code];
        art.hidden = filter.checked && art.getAttribute("data-answered") === "1" &&
          !art.classList.contains("is-pending");
      });
      var url = new URL(window.location.href);
      if (filter.checked) url.searchParams.set("unrated", "1");
      else url.searchParams.delete("unrated");
      window.history.replaceState(null, "", url.toString());
    });
  }

  window.addEventListener("online", function () {
    setConnection(true);
    flush();
  });
  window.addEventListener("offline", function () {
    setConnection(false);
  });
  window.addEventListener("beforeunload", function (event) {
    if (!storage && Object.keys(memory).length) {
      event.preventDefault();
      event.returnValue = text("unsentLeave");
    }
  });
  setInterval(function () {
    if (queuedCodes().length) flush();
  }, RETRY_MS);

  setConnection(navigator.onLine !== false);
  if (!storage) showBanner(text("noStorage"));
  refreshProgress();
  flush();

  // --- evidence -----------------------------------------------------------------------

  function evidenceItem(e) {
    var li = document.createElement("li");
    li.className = "d-flex flex-wrap align-items-center gap-2 py-1";
    li.setAttribute("data-evidence-item", String(e.id));
    var badge = document.createElement("span");
    badge.className = "badge text-bg-light border";
    badge.textContent = e.kind_label;
    var link = document.createElement("a");
    link.href = e.url;
    link.textContent = e.name;
    li.appendChild(badge);
    li.appendChild(link);
    if (e.caption) li.appendChild(document.createTextNode(" — " + e.caption));
    var when = document.createElement("span");
    when.className = "text-body-secondary";
    when.textContent = text("validFrom") + " " + e.valid_from;
    li.appendChild(when);
    var del = document.createElement("form");
    del.method = "post";
    del.action = e.delete_url;
    del.className = "d-inline";
    del.setAttribute("data-evidence-delete", "");
    var button = document.createElement("button");
    button.className = "btn btn-sm btn-link text-danger p-0";
    button.textContent = text("delete");
    del.appendChild(button);
    li.appendChild(del);
    wireDelete(del);
    return li;
  }

  function wireDelete(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!window.confirm(text("deleteConfirm"))) return;
      post(form.action, new FormData(form), form).then(function (result) {
        if (result.status === 200) {
          var item = form.closest("[data-evidence-item]");
          if (item) item.remove();
        } else {
          window.alert(result.data.message || text("error"));
        }
      }).catch(function () {
        window.alert(text("uploadOffline"));
      });
    });
  }

  function wireEvidence(art) {
    Array.prototype.forEach.call(art.querySelectorAll("[data-evidence-delete]"), wireDelete);
    var form = art.querySelector("[data-evidence-form]");
    if (!form) return;
    var error = form.querySelector("[data-evidence-error]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var file = form.elements.file.files[0];
      error.textContent = "";
      if (!file) {
        error.textContent = text("chooseFile");
        return;
      }
      if (limitBytes && file.size > limitBytes) {
        error.textContent = text("tooLarge");
        return;
      }
      if (navigator.onLine === false) {
        error.textContent = text("uploadOffline");
        return;
      }
      var button = form.querySelector("button");
      button.disabled = true;
      error.textContent = text("uploading");
      post(form.action, new FormData(form), form).then(function (result) {
        button.disabled = false;
        if (result.status === 201) {
          error.textContent = "";
          var list = art.querySelector("[data-evidence-list]");
          var empty = list.querySelector("[data-evidence-empty]");
          if (empty) empty.remove();
          list.appendChild(evidenceItem(result.data.evidence));
          form.elements.file.value = "";
          form.elements.caption.value = "";
        } else {
          var messages = Object.keys(result.data.errors || {}).map(function (k) {
            return result.data.errors[k];
          });
          error.textContent = text("uploadFailed") + ": " +
            (messages.length ? messages.join(" ") : result.data.message);
        }
      }).catch(function (problem) {
        button.disabled = false;
        error.textContent = problem && problem.signedOut ? text("signedOut") : text("uploadOffline");
      });
    });
  }
})();
