/* Pupil picker: a type-ahead search with removable choices, built on a list of tick boxes.
 *
 * Without JavaScript the page shows the tick boxes (usable with keyboard, mouse and screen
 * reader, no Ctrl-click). With it, the list is hidden and replaced by a combobox (WAI-ARIA
 * 1.2 combobox pattern with a listbox popup): type part of a name, pick with the arrow keys and
 * Enter or a click; each choice appears as a "Remove" button. The tick boxes stay the form's
 * real inputs, so what is posted is the same either way. Served from static/ (CSP: no inline). */
(function () {
  "use strict";
  var MAX_SHOWN = 10;

  function enhance(box) {
    var options = Array.prototype.map.call(box.querySelectorAll("input[type=checkbox]"), function (input) {
      var label = box.querySelector("label[for='" + input.id + "']");
      return { input: input, text: (label ? label.textContent : input.value).trim() };
    });
    var base = box.getAttribute("data-typeahead");
    var wrapper = document.createElement("div");
    wrapper.className = "typeahead";
    wrapper.innerHTML =
      '<label class="form-label" for="' + base + '-search"></label>' +
      '<input type="text" class="form-control" id="' + base + '-search" role="combobox" autocomplete="off"' +
      ' aria-autocomplete="list" aria-expanded="false" aria-controls="' + base + '-listbox">' +
      '<ul class="typeahead-listbox list-group" id="' + base + '-listbox" role="listbox" hidden></ul>' +
      '<p class="form-text mb-1" id="' + base + '-chosen-label"></p>' +
      '<ul class="typeahead-chosen list-unstyled d-flex flex-wrap gap-2" aria-labelledby="' + base + '-chosen-label"></ul>' +
      '<div class="visually-hidden" aria-live="polite" id="' + base + '-status"></div>';
    wrapper.querySelector("label").textContent = box.getAttribute("data-typeahead-label") || "Search by name";
    var search = wrapper.querySelector("input");
    var listbox = wrapper.querySelector("[role=listbox]");
    var chosen = wrapper.querySelector(".typeahead-chosen");
    var chosenLabel = wrapper.querySelector("#" + base + "-chosen-label");
    var status = wrapper.querySelector("[aria-live]");
    var describedBy = box.getAttribute("data-typeahead-describedby");
    if (describedBy) { search.setAttribute("aria-describedby", describedBy); }
    if (box.classList.contains("is-invalid") || box.querySelector(".is-invalid")) { search.classList.add("is-invalid"); search.setAttribute("aria-invalid", "true"); }
    var matches = [];
    var active = -1;

    function renderChosen() {
      chosen.innerHTML = "";
      var picked = options.filter(function (o) { return o.input.checked; });
      chosenLabel.textContent = picked.length ? "Chosen (" + picked.length + "):" : "Nobody chosen yet.";
      picked.forEach(function (option) {
        var item = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.className = "btn btn-outline-secondary btn-sm";
        button.textContent = option.text + " ";
        var hint = document.createElement("span");
        hint.setAttribute("aria-hidden", "true");
        hint.textContent = "\u00d7";
        var spoken = document.createElement("span");
        spoken.className = "visually-hidden";
        spoken.textContent = "(remove)";
        button.appendChild(hint);
        button.appendChild(spoken);
        button.addEventListener("click", function () {
          option.input.checked = false;
          renderChosen();
          status.textContent = option.text + " removed.";
          search.focus();
        });
        item.appendChild(button);
        chosen.appendChild(item);
      });
    }

    function close() {
      listbox.hidden = true;
      search.setAttribute("aria-expanded", "false");
      search.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var items = listbox.querySelectorAll("[role=option]");
      items.forEach(function (item, i) {
        item.classList.toggle("active", i === index);
        item.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0 && items[index]) {
        search.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({ block: "nearest" });
      }
    }

    function choose(option) {
      option.input.checked = true;
      search.value = "";
      close();
      renderChosen();
      status.textContent = option.text + " chosen.";
    }

    function refresh() {
      var words = search.value.toLowerCase().trim();
      listbox.innerHTML = "";
      if (!words) { close(); return; }
      matches = options.filter(function (o) {
        return !o.input.checked && o.text.toLowerCase().indexOf(words) !== -1;
      }).slice(0, MAX_SHOWN);
      matches.forEach(function (option, i) {
        var item = document.createElement("li");
        item.id = base + "-option-" + i;
        item.className = "list-group-item list-group-item-action";
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.textContent = option.text;
        item.addEventListener("mousedown", function (event) { event.preventDefault(); });
        item.addEventListener("click", function () { choose(option); search.focus(); });
        listbox.appendChild(item);
      });
      if (!matches.length) {
        var none = document.createElement("li");
        none.className = "list-group-item text-muted";
        none.textContent = "No pupil matches \u201c" + search.value + "\u201d";
        listbox.appendChild(none);
      }
      listbox.hidden = false;
      search.setAttribute("aria-expanded", "true");
      status.textContent = matches.length + " result" + (matches.length === 1 ? "" : "s") + " available.";
      highlight(matches.length ? 0 : -1);
    }

    search.addEventListener("input", refresh);
    search.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && matches.length) { event.preventDefault(); if (listbox.hidden) { refresh(); } highlight(Math.min(active + 1, matches.length - 1)); }
      else if (event.key === "ArrowUp" && matches.length) { event.preventDefault(); highlight(Math.max(active - 1, 0)); }
      else if (event.key === "Enter" && !listbox.hidden && active >= 0) { event.preventDefault(); choose(matches[active]); }
      else if (event.key === "Escape") { close(); }
    });
    search.addEventListener("blur", close);

    box.hidden = true;
    box.parentNode.insertBefore(wrapper, box);
    // A link from the error summary to the hidden tick boxes lands on the search box instead.
    document.querySelectorAll("a[href^='#']").forEach(function (link) {
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (target && box.contains(target)) {
        link.addEventListener("click", function (event) { event.preventDefault(); search.focus(); });
      }
    });
    renderChosen();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-typeahead]").forEach(enhance);
  });
})();
