// The map of a match: the last-seen place, the observation place and the line between them,
// drawn into an SVG with d3-geo from Natural Earth country shapes bundled with the page
// (vendor/countries-50m.json from the world-atlas package): no tile, font or script from
// another site. d3 and topojson are the vendored UMD builds loaded by index.html.

import { svg, h, clear } from "./dom.js";
import * as fmt from "./format.js";

const ATLAS = "/dashboard/static/vendor/countries-50m.json";
const WIDTH = 640;
const HEIGHT = 440;
const PAD = 56;
const MIN_SPAN_KM = 160; // never zoom in closer than this across the map: the shapes are coarse
const EARTH_KM = 6371;

let atlas = null;

async function loadAtlas() {
  if (!atlas) {
    atlas = fetch(ATLAS, { credentials: "omit" })
      .then((r) => {
        if (!r.ok) throw new Error(`the basemap answered ${r.status}`);
        return r.json();
      })
      .then((topo) => ({
        land: topojson.feature(topo, topo.objects.countries),
        borders: topojson.mesh(topo, topo.objects.countries, (a, b) => a !== b),
      }))
      .catch((err) => {
        atlas = null;
        throw err;
      });
  }
  return atlas;
}

function pointOf(seen) {
  const loc = seen && seen.location;
  return loc && typeof loc.lat === "number" && typeof loc.lon === "number" ? [loc.lon, loc.lat] : null;
}

function projectionFor(points) {
  const projection = d3.geoMercator().clipExtent([[0, 0], [WIDTH, HEIGHT]]);
  const centre = points.length === 2 ? d3.geoInterpolate(points[0], points[1])(0.5) : points[0];
  const lat = (centre[1] * Math.PI) / 180;
  const maxScale = (WIDTH * EARTH_KM * Math.max(Math.cos(lat), 0.05)) / MIN_SPAN_KM;
  let scale = maxScale;
  if (points.length === 2) {
    projection.fitExtent([[PAD, PAD], [WIDTH - PAD, HEIGHT - PAD]], {
      type: "LineString",
      coordinates: points,
    });
    if (Number.isFinite(projection.scale())) scale = Math.min(projection.scale(), maxScale);
  }
  return projection.scale(scale).center(centre).translate([WIDTH / 2, HEIGHT / 2]);
}

function label(x, y, text, cls) {
  const anchor = x > WIDTH * 0.62 ? "end" : x < WIDTH * 0.38 ? "start" : "middle";
  const dx = anchor === "end" ? -10 : anchor === "start" ? 10 : 0;
  return svg("text", { x: x + dx, y, "text-anchor": anchor, class: cls }, text);
}

const INSET_W = 150;
const INSET_H = 110;
const INSET_SPAN_KM = 3000;

/** A small overview in the corner: where on the continent the main map lies. */
function inset(main, land, points) {
  const centre = main.invert([WIDTH / 2, HEIGHT / 2]);
  const lat = (centre[1] * Math.PI) / 180;
  const projection = d3.geoMercator()
    .center(centre)
    .scale((INSET_W * EARTH_KM * Math.max(Math.cos(lat), 0.05)) / INSET_SPAN_KM)
    .translate([INSET_W / 2, INSET_H / 2])
    .clipExtent([[0, 0], [INSET_W, INSET_H]]);
  const path = d3.geoPath(projection);
  const corners = [[0, 0], [WIDTH, HEIGHT]].map((xy) => projection(main.invert(xy)));
  const [[x0, y0], [x1, y1]] = corners;
  const box = svg("g", { class: "map-inset", transform: `translate(${WIDTH - INSET_W - 10}, 10)` },
    svg("rect", { class: "map-inset-sea", width: INSET_W, height: INSET_H }),
    svg("path", { class: "map-land", d: path(land) || "" }),
    svg("rect", {
      class: "map-inset-frame",
      x: Math.min(x0, x1), y: Math.min(y0, y1),
      width: Math.max(3, Math.abs(x1 - x0)), height: Math.max(3, Math.abs(y1 - y0)),
    }),
    svg("rect", { class: "map-inset-border", width: INSET_W, height: INSET_H }));
  box.dataset.points = points.length;
  return box;
}

/**
 * Draws the map of `view` (a match view: alert.last_seen, observation.seen, travel) into
 * `container`. Returns a promise that settles when the basemap is drawn (or failed).
 */
export async function drawMap(container, view) {
  clear(container);
  const lastSeen = view.alert ? view.alert.last_seen : null;
  const observed = view.observation ? view.observation.seen : null;
  const from = pointOf(lastSeen);
  const to = pointOf(observed);
  const obsWord = fmt.words(view.observation ? view.observation.type : "observation");
  const travel = view.travel || {};
  const summary = [
    from ? `Last seen at ${fmt.place(lastSeen)}, ${fmt.when(lastSeen.at)}.` : "No last-seen place.",
    to ? `${obsWord} at ${fmt.place(observed)}, ${fmt.when(observed.at)}.` : `No ${obsWord.toLowerCase()} place.`,
    [fmt.km(travel.distance_km), fmt.days(travel.days) && `${fmt.days(travel.days)} later`]
      .filter(Boolean)
      .join(", "),
  ].join(" ");
  const points = [from, to].filter(Boolean);
  const figure = h("figure", { class: "map" });
  const caption = h("figcaption", { class: "map-caption", id: "map-caption" });
  const routeText = [fmt.km(travel.distance_km), fmt.days(travel.days)].filter(Boolean).join(" in ");
  caption.append(
    h("span", { class: "legend last-seen" }, h("span", { class: "dot" }), "Last seen ",
      h("strong", {}, fmt.place(lastSeen)), " · ", fmt.when(lastSeen && lastSeen.at)),
    h("span", { class: "legend observation" }, h("span", { class: "dot" }), `${obsWord} `,
      h("strong", {}, fmt.place(observed)), " · ", fmt.when(observed && observed.at)),
    routeText ? h("span", { class: "legend route" }, h("span", { class: "dash" }), routeText) : null,
  );
  container.append(figure);
  if (!points.length) {
    figure.append(h("p", { class: "map-empty" }, "Neither place has coordinates."), caption);
    return;
  }
  const map = svg("svg", {
    class: "map-svg",
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: "img",
    "aria-labelledby": "map-title",
    "data-points": points.length,
  });
  map.append(svg("title", { id: "map-title" }, `Map. ${summary}`));
  map.append(svg("rect", { class: "map-sea", x: 0, y: 0, width: WIDTH, height: HEIGHT }));
  const basemap = svg("g", { class: "map-base" });
  map.append(basemap);
  figure.append(map, caption);

  const projection = projectionFor(points);
  const path = d3.geoPath(projection);
  const marks = svg("g", { class: "map-marks" });
  const placed = [
    from && { xy: projection(from), cls: "last-seen", name: `Last seen: ${fmt.place(lastSeen)}`, seen: lastSeen },
    to && { xy: projection(to), cls: "observation", name: `${obsWord}: ${fmt.place(observed)}`, seen: observed },
  ].filter(Boolean);
  if (from && to) {
    marks.append(svg("path", { class: "map-route", d: path({ type: "LineString", coordinates: [from, to] }) || "" }));
    const [a, b] = placed.map((p) => p.xy);
    const apart = Math.hypot(a[0] - b[0], a[1] - b[1]);
    if (routeText && apart > 160) {
      const [mx, my] = projection(d3.geoInterpolate(from, to)(0.5));
      marks.append(svg("text", { x: mx, y: my - 10, "text-anchor": "middle", class: "map-label route" }, routeText));
    }
  }
  // The upper point is labelled above itself, the lower one below: close points never collide.
  const upper = placed.length === 2 && placed[1].xy[1] < placed[0].xy[1] ? placed[1] : placed[0];
  for (const p of placed) {
    const [x, y] = p.xy;
    const above = p === upper;
    marks.append(
      // last seen is a ring, the observation a dot inside it: both show where they coincide
      svg("circle", { class: `map-point ${p.cls}`, cx: x, cy: y, r: p.cls === "last-seen" ? 9 : 5.5 }),
      label(x, above ? y - 30 : y + 24, p.name, "map-label"),
      label(x, above ? y - 14 : y + 40, fmt.day(p.seen && p.seen.at), "map-label date"),
    );
  }
  map.append(marks);

  try {
    const { land, borders } = await loadAtlas();
    basemap.append(
      svg("path", { class: "map-graticule", d: path(d3.geoGraticule10()) || "" }),
      svg("path", { class: "map-land", d: path(land) || "" }),
      svg("path", { class: "map-borders", d: path(borders) || "" }),
    );
    map.append(inset(projection, land, points));
    map.dataset.basemap = "drawn";
  } catch (err) {
    map.dataset.basemap = "failed";
    figure.append(h("p", { class: "map-empty" }, `The basemap could not be loaded (${err.message}).`));
  }
}
