/* global L */
// Admin pin maps (MapPinWidget): a click on the map or a drag of the marker writes latitude and
// longitude (6 decimals) into the form's inputs; typing in the inputs moves the marker.
(function () {
  "use strict";

  function readPoint(latitudeInput, longitudeInput) {
    const latitude = Number.parseFloat(latitudeInput.value);
    const longitude = Number.parseFloat(longitudeInput.value);
    if (Number.isFinite(latitude) && Number.isFinite(longitude)) {
      return [latitude, longitude];
    }
    return null;
  }

  function setUp(element) {
    const latitudeInput = document.getElementById(element.dataset.latitudeInput);
    const longitudeInput = document.getElementById(element.dataset.longitudeInput);
    if (!latitudeInput || !longitudeInput || element.dataset.ready) {
      return;
    }
    element.dataset.ready = "1";
    const centre = element.dataset.centre.split(",").map(Number);
    const start = readPoint(latitudeInput, longitudeInput);
    const map = L.map(element).setView(start || centre, start ? 16 : 12);
    L.tileLayer(element.dataset.tileUrl, { maxZoom: 19, attribution: element.dataset.attribution }).addTo(map);
    const icon = new L.Icon.Default({
      imagePath: "",
      iconUrl: element.dataset.iconUrl,
      iconRetinaUrl: element.dataset.iconRetinaUrl,
      shadowUrl: element.dataset.shadowUrl,
    });
    let marker = null;

    function write(point) {
      latitudeInput.value = point.lat.toFixed(6);
      longitudeInput.value = point.lng.toFixed(6);
      latitudeInput.dispatchEvent(new Event("change", { bubbles: true }));
      longitudeInput.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function place(point) {
      if (marker) {
        marker.setLatLng(point);
        return;
      }
      marker = L.marker(point, { draggable: true, icon: icon }).addTo(map);
      marker.on("dragend", function () {
        write(marker.getLatLng());
      });
    }

    if (start) {
      place(start);
    }
    map.on("click", function (event) {
      place(event.latlng);
      write(event.latlng);
    });
    function follow() {
      const point = readPoint(latitudeInput, longitudeInput);
      if (point) {
        place(point);
        map.panTo(point);
      }
    }
    latitudeInput.addEventListener("input", follow);
    longitudeInput.addEventListener("input", follow);
  }

  function setUpAll() {
    document.querySelectorAll(".map-pin").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpAll);
  } else {
    setUpAll();
  }
})();
