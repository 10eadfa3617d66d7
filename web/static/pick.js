// The officer page's pick map: click a point to put "lat,lon" (5 decimals) in the home field.
// No tiles (the app makes no external request): the venues are drawn as dots, from the
// element's data-venues attribute ([[lat, lon, label], ...]), so the officer can orient.
// An external file, not an inline script: the Content-Security-Policy forbids those.
document.addEventListener("DOMContentLoaded", function () {
  var element = document.getElementById("ga-pick");
  if (!element || typeof L === "undefined") {
    return;
  }
  var field = document.getElementById(element.getAttribute("data-target") || "home");
  var points = [];
  try {
    points = JSON.parse(element.getAttribute("data-venues") || "[]");
  } catch (error) {
    points = [];
  }
  var map = L.map(element, { zoomSnap: 0.25, attributionControl: false });
  var venues = L.featureGroup().addTo(map);
  points.forEach(function (p) {
    L.circleMarker([p[0], p[1]], {
      radius: 5, color: "#0b4f8a", weight: 1, fillColor: "#3d8bd9", fillOpacity: 0.8
    }).bindTooltip(String(p[2])).addTo(venues);
  });
  if (points.length) {
    map.fitBounds(venues.getBounds(), { padding: [20, 20] });
  } else {
    map.setView([54.5, -3.1], 8);
  }
  var picked = null;
  map.on("click", function (event) {
    var text = event.latlng.lat.toFixed(5) + "," + event.latlng.lng.toFixed(5);
    if (field) {
      field.value = text;
      field.dispatchEvent(new Event("input", { bubbles: true }));
    }
    if (picked) {
      picked.setLatLng(event.latlng);
    } else {
      picked = L.circleMarker(event.latlng, {
        radius: 7, color: "#b02a37", weight: 2, fillColor: "#dc3545", fillOpacity: 0.9
      }).addTo(map);
    }
    if (picked.getTooltip()) {
      picked.setTooltipContent("Home: " + text);
    } else {
      picked.bindTooltip("Home: " + text);
    }
    picked.openTooltip();
  });
});
