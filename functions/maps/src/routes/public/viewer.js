// The public viewer: hovering or tapping a shape shows its unit's code,
// type and status (read from the page's own JSON, never fetched).
(function () {
  var shapes = {};
  JSON.parse(document.getElementById("shapes").textContent).forEach(function (s) { shapes[s.id] = s; });
  var panel = document.getElementById("unit");
  var active = null;
  function show(path) {
    var s = shapes[path.getAttribute("data-shape")];
    if (!s) { return; }
    if (active) { active.classList.remove("active"); }
    active = path;
    path.classList.add("active");
    panel.querySelector(".code").textContent = s.unit_code || s.label;
    panel.querySelector(".type").textContent = s.component_type_code || s.unit_type_code || "";
    panel.querySelector(".status").textContent = (s.status || "unknown").replace("_", " ");
    panel.hidden = false;
    panel.setAttribute("data-shape", s.id);
  }
  document.querySelectorAll("#plan path[data-shape]").forEach(function (path) {
    path.addEventListener("pointerenter", function () { show(path); });
    path.addEventListener("click", function () { show(path); });
  });
  document.body.setAttribute("data-viewer", "ready");
})();
