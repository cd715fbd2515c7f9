/* ledgerflow's index: search, a filter by flag and sorting by any column, on the page alone
   (nothing is fetched, nothing is stored). Put in the page as it is and allowed by the page's
   content-security policy by its SHA-256; without it the whole list is shown, unsorted. */
(function () {
  "use strict";
  var finder = document.querySelector('[data-section="finder"]');
  var table = document.querySelector('[data-section="index"] table');
  if (!finder || !table || !table.tBodies.length) {
    return;
  }
  var body = table.tBodies[0];
  var rows = Array.prototype.filter.call(body.rows, function (row) {
    return row.hasAttribute("data-payer");
  });
  var search = finder.querySelector('[data-control="search"]');
  var flag = finder.querySelector('[data-control="flag"]');
  var shown = finder.querySelector('[data-field="shown"]');
  var lang = document.documentElement.lang || undefined;

  function words(text) {
    return text.toLocaleLowerCase(lang).split(/\s+/).filter(function (word) {
      return word !== "";
    });
  }

  // What a row is found by: its login and every text in it, in lower case.
  var texts = rows.map(function (row) {
    return (row.getAttribute("data-payer") + " " + row.textContent).toLocaleLowerCase(lang);
  });
  var flags = rows.map(function (row) {
    return Array.prototype.map.call(row.querySelectorAll("[data-flag]"), function (badge) {
      return badge.getAttribute("data-flag");
    });
  });

  function filter() {
    var wanted = words(search.value);
    var kind = flag.value;
    var count = 0;
    rows.forEach(function (row, i) {
      var found = wanted.every(function (word) {
        return texts[i].indexOf(word) !== -1;
      });
      if (kind === "*") {
        found = found && flags[i].length > 0;
      } else if (kind === "-") {
        found = found && flags[i].length === 0;
      } else if (kind !== "") {
        found = found && flags[i].indexOf(kind) !== -1;
      }
      row.hidden = !found;
      count += found ? 1 : 0;
    });
    shown.textContent = String(count);
  }

  // A cell's sort key: its raw value when it has one (amounts, dates, counts), else its text.
  function key(row, column) {
    var cell = row.cells[column];
    if (!cell) {
      return "";
    }
    var raw = cell.getAttribute("data-value");
    if (raw !== null && raw !== "" && !isNaN(Number(raw))) {
      return Number(raw);
    }
    return raw !== null ? raw : cell.textContent.trim();
  }

  function compare(a, b) {
    if (typeof a === "number" && typeof b === "number") {
      return a < b ? -1 : a > b ? 1 : 0;
    }
    if (typeof a === "number") {
      return -1;
    }
    if (typeof b === "number") {
      return 1;
    }
    return String(a).localeCompare(String(b), lang, {numeric: true, sensitivity: "base"});
  }

  var headers = table.tHead ? Array.prototype.slice.call(table.tHead.rows[0].cells) : [];

  function sortBy(th) {
    var column = th.cellIndex;
    var order = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    var sign = order === "ascending" ? 1 : -1;
    headers.forEach(function (other) {
      other.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", order);
    var keyed = rows.map(function (row, i) {
      return {row: row, key: key(row, column), at: i};
    });
    keyed.sort(function (a, b) {
      return sign * compare(a.key, b.key) || a.at - b.at;
    });
    keyed.forEach(function (item) {
      body.appendChild(item.row);
    });
  }

  headers.forEach(function (th) {
    th.setAttribute("data-sort", "");
    th.tabIndex = 0;
    th.addEventListener("click", function () {
      sortBy(th);
    });
    th.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        sortBy(th);
      }
    });
  });
  search.addEventListener("input", filter);
  flag.addEventListener("change", filter);
  finder.addEventListener("submit", function (event) {
    event.preventDefault();
  });
  finder.hidden = false;
  filter();
}());
