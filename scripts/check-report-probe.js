// The probe scripts/check-report.sh puts at the start of a copy of a page's <head>, so it runs
// before anything of the page's own. It records what goes wrong while the page loads, measures
// the page once it has loaded, and posts its verdict, one line of JSON after "meshsim-check:",
// to the frame around the page, which writes it into the DOM for the shell script to read.
(function () {
  "use strict";
  var errors = [];   // console errors, uncaught exceptions, refused content
  var failed = [];   // elements whose resource failed to load: each was a fetch
  var text = function (value) {
    try {
      return value instanceof Error ? String(value.stack || value) : String(value);
    } catch (_) {
      return "?";
    }
  };
  var consoleError = console.error;
  console.error = function () {
    errors.push("console.error: " + Array.prototype.map.call(arguments, text).join(" "));
    return consoleError.apply(console, arguments);
  };
  window.addEventListener("error", function (event) {
    var target = event.target;
    if (target && target !== window && target.tagName) {
      failed.push("<" + target.tagName.toLowerCase() + "> " +
        (target.currentSrc || target.src || target.href || target.data || ""));
    } else {
      errors.push("uncaught: " + event.message + " (" + event.filename + ":" + event.lineno + ")");
    }
  }, true);
  window.addEventListener("unhandledrejection", function (event) {
    errors.push("unhandled rejection: " + text(event.reason));
  });
  document.addEventListener("securitypolicyviolation", function (event) {
    errors.push("refused by the content security policy: " + event.blockedURI);
  });

  // A URL that names something outside the page; fragments and data: URLs do not.
  var outside = function (url) {
    url = String(url || "").trim();
    return url !== "" && url.charAt(0) !== "#" && !/^(data|about|javascript):/i.test(url);
  };
  var name = function (element, index) {
    var figure = element.closest("figure");
    return element.getAttribute("aria-label") || element.getAttribute("alt") ||
      (figure && figure.id) || element.id || ("#" + (index + 1));
  };

  var measure = function () {
    var verdict = {
      viewport: [window.innerWidth, window.innerHeight],
      headline: null,
      charts: 0,
      emptyCharts: [],
      fetched: [],
      errors: errors,
      scrollWidth: document.documentElement.scrollWidth
    };
    var headline = document.getElementById("headline");
    if (headline) {
      var box = headline.getBoundingClientRect();
      verdict.headline = { top: Math.round(box.top), height: Math.round(box.height) };
    }
    var charts = document.querySelectorAll("svg, img");
    verdict.charts = charts.length;
    Array.prototype.forEach.call(charts, function (chart, index) {
      var box = chart.getBoundingClientRect();
      var why = [];
      if (!(box.width > 0 && box.height > 0)) {
        why.push(Math.round(box.width) + "x" + Math.round(box.height));
      }
      if (chart.tagName.toLowerCase() === "img" && !(chart.complete && chart.naturalWidth > 0)) {
        why.push("the image did not load");
      }
      if (why.length > 0) {
        verdict.emptyCharts.push("<" + chart.tagName.toLowerCase() + "> " + name(chart, index) +
          ": " + why.join(", "));
      }
    });

    // Anything the browser went to the network for (on file:// pages Chromium lists only the
    // http(s) ones), anything that failed to load, and anything the page points at.
    var fetched = verdict.fetched;
    var add = function (what) {
      if (fetched.indexOf(what) < 0) fetched.push(what);
    };
    performance.getEntriesByType("resource").forEach(function (entry) {
      if (entry.name !== location.href) add("requested " + entry.name);
    });
    failed.forEach(function (what) { add("failed to load " + what); });
    var attributes = [
      ["[src]", "src"], ["[srcset]", "srcset"], ["link[href]", "href"], ["object[data]", "data"],
      ["[poster]", "poster"], ["use[href], image[href], feImage[href]", "href"],
      ["use, image, feImage", "xlink:href"]
    ];
    attributes.forEach(function (pair) {
      Array.prototype.forEach.call(document.querySelectorAll(pair[0]), function (element) {
        var value = element.getAttribute(pair[1]);
        if (outside(value)) {
          add("<" + element.tagName.toLowerCase() + " " + pair[1] + "=\"" + value + "\">");
        }
      });
    });
    var urls = function (css, where) {
      var pattern = /url\(\s*(['"]?)([^'")]*)\1\s*\)|@import\s+(['"])([^'"]*)\3/gi;
      var match;
      while ((match = pattern.exec(css)) !== null) {
        var url = match[2] !== undefined && match[2] !== "" ? match[2] : match[4];
        if (outside(url)) add(where + " url(" + url + ")");
      }
    };
    Array.prototype.forEach.call(document.styleSheets, function (sheet) {
      try {
        Array.prototype.forEach.call(sheet.cssRules, function (rule) {
          urls(rule.cssText, "a style sheet's");
        });
      } catch (_) {
        add("a style sheet it cannot read: " + (sheet.href || "?"));
      }
    });
    Array.prototype.forEach.call(document.querySelectorAll("[style]"), function (element) {
      urls(element.getAttribute("style"), "<" + element.tagName.toLowerCase() + " style>");
    });

    window.parent.postMessage("meshsim-check:" + JSON.stringify(verdict), "*");
  };
  window.addEventListener("load", function () {
    // After load, and after whatever the page's own load handlers queued.
    setTimeout(measure, 0);
  });
})();
