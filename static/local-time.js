// Beside each session time, the visitor's own: "Your time: Tuesday,
// December 15, 10:00 AM PST". Reads the machine time of every
// <time datetime="…Z" data-zone="…"> and skips those already in the
// browser's zone. The page says everything without this script.
(function () {
  "use strict";
  if (typeof Intl === "undefined" || !Intl.DateTimeFormat) {
    return;
  }
  var here;
  try {
    here = new Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  var format = new Intl.DateTimeFormat(undefined, {
    weekday: "long",
    month: "long",
    day: "numeric",
    hour: "numeric",
    minute: "2-digit",
    timeZoneName: "short"
  });
  function add() {
    var times = document.querySelectorAll("time[datetime][data-zone]");
    for (var i = 0; i < times.length; i++) {
      var time = times[i];
      if (!here || time.getAttribute("data-zone") === here) {
        continue;
      }
      var at = new Date(time.getAttribute("datetime"));
      if (isNaN(at.getTime())) {
        continue;
      }
      var note = document.createElement("span");
      note.className = "your-time";
      note.textContent = "Your time: " + format.format(at);
      time.parentNode.appendChild(note);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", add);
  } else {
    add();
  }
})();
