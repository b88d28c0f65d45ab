// The one module that touches MapLibre GL JS (6.x, ESM build copied to /maplibre/ by Trunk).
// Rust (src/map.rs) calls these functions; everything the map needs (URLs, colours, scales)
// comes from Rust, and map events go back to Rust as JSON strings through one callback.
import * as maplibregl from '/maplibre/maplibre-gl.mjs';

let map = null;
let ready = false;
let pending = [];
let emit = () => {};

// Runs `f` now if the map's style has loaded once, else right after. (map.isStyleLoaded() turns
// false again while sources load, and 'load' fires only once: neither is a safe gate.)
function whenReady(f) {
  if (ready) f(); else pending.push(f);
}
let selected = null;
// While the base data is edited, a click is a place (with the cell or resource under it), not a
// selection.
let editing = false;
// The published world the tiles show: part of their URLs, so a new version is fetched afresh.
let worldVersion = 0;
let urls = {};
const withWorld = (url) => (worldVersion ? url + (url.includes('?') ? '&' : '?') + 'world=' + worldVersion : url);
let started = performance.now();
const state = { firstIdleMs: null, idleCount: 0, tileErrors: 0 };
window.__safegrid = state;

const LABEL_FONT = ['DejaVu Sans Book'];

function choroplethExpr(scale) {
  // scale: {property, stops: [[value, colour], ...], missing}
  const expr = ['interpolate', ['linear'], ['coalesce', ['get', scale.property], scale.missingValue]];
  for (const [v, c] of scale.stops) { expr.push(v, c); }
  return expr;
}

function categoryExpr(colors) {
  const expr = ['match', ['get', 'category']];
  for (const [k, c] of Object.entries(colors)) { expr.push(k, c); }
  expr.push('#888888');
  return expr;
}

export function createMap(container, optionsJson, onEvent) {
  started = performance.now();
  // A new map (after signing out and in again) waits for its own style: what was ready or
  // pending belonged to the map before it.
  if (map) map.remove();
  ready = false;
  pending = [];
  const o = JSON.parse(optionsJson);
  urls = { regions: o.regionsUrl, cells: o.cellsUrl, incidents: o.incidentsUrl, stations: o.stationsUrl, cameras: o.camerasUrl };
  emit = (obj) => onEvent(JSON.stringify(obj));
  const sources = {
    regions: { type: 'vector', tiles: [withWorld(o.regionsUrl)], minzoom: 0, maxzoom: 14 },
    cells: { type: 'vector', tiles: [withWorld(o.cellsUrl)], minzoom: 6, maxzoom: 14 },
    incidents: { type: 'vector', tiles: [withWorld(o.incidentsUrl)], minzoom: 0, maxzoom: 16 },
    stations: { type: 'geojson', data: o.stationsUrl },
    hotspots: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    alerts: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    cameras: { type: 'geojson', data: o.camerasUrl },
    live: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    units: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    gap: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    blind: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    plan: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    backlog: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    desk: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    world: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    draft: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
  };
  const layers = [
    { id: 'background', type: 'background', paint: { 'background-color': '#0b1622' } },
  ];
  for (const b of o.baseLayers || []) {
    sources['base-' + b.name] = { type: 'raster', tiles: [b.url], tileSize: 256, attribution: b.attribution };
    layers.push({ id: 'base-' + b.name, type: 'raster', source: 'base-' + b.name });
  }
  layers.push(
    { id: 'regions-fill', type: 'fill', source: 'regions', 'source-layer': 'regions',
      filter: ['==', ['get', 'level'], 'county'], paint: { 'fill-color': '#13263a', 'fill-opacity': 0.9 } },
    { id: 'cells-fill', type: 'fill', source: 'cells', 'source-layer': 'cells',
      paint: { 'fill-color': choroplethExpr(o.scale), 'fill-opacity': 0.72 } },
    { id: 'hotspots-fill', type: 'fill', source: 'hotspots', layout: { visibility: 'none' },
      paint: { 'fill-color': ['match', ['get', 'bin'], 3, '#d7191c', 2, '#fc8d59', 1, '#fee08b',
                                -1, '#d1e5f0', -2, '#67a9cf', -3, '#2166ac', 'rgba(0,0,0,0)'],
               'fill-opacity': 0.8 } },
    // Prevention gap = risk × (1 − strength), 0–1.
    { id: 'gap-fill', type: 'fill', source: 'gap', layout: { visibility: 'none' },
      paint: { 'fill-color': ['interpolate', ['linear'], ['get', 'gap'], 0, 'rgba(255,255,204,0.05)', 0.05, '#ffeda0',
                              0.15, '#feb24c', 0.3, '#f03b20', 0.6, '#bd0026'],
               'fill-opacity': 0.75 } },
    // The assessment scorecard: the regions of one level coloured by an indicator (setScorecard).
    { id: 'scorecard-fill', type: 'fill', source: 'regions', 'source-layer': 'regions', layout: { visibility: 'none' },
      filter: ['==', ['get', 'level'], 'county'], paint: { 'fill-color': 'rgba(0,0,0,0)', 'fill-opacity': 0.8 } },
    { id: 'cells-line', type: 'line', source: 'cells', 'source-layer': 'cells', minzoom: 10,
      paint: { 'line-color': '#6f8aa6', 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 0.2, 14, 0.8], 'line-opacity': 0.6 } },
    { id: 'cells-selected', type: 'line', source: 'cells', 'source-layer': 'cells',
      filter: ['==', ['get', 'code'], ''], paint: { 'line-color': '#ffe14d', 'line-width': 3 } },
    { id: 'regions-village', type: 'line', source: 'regions', 'source-layer': 'regions',
      filter: ['==', ['get', 'level'], 'village'], paint: { 'line-color': '#9db4cc', 'line-width': 0.6, 'line-dasharray': [2, 2] } },
    { id: 'regions-township', type: 'line', source: 'regions', 'source-layer': 'regions',
      filter: ['==', ['get', 'level'], 'township'], paint: { 'line-color': '#c5d6e8', 'line-width': 1.2 } },
    { id: 'regions-county', type: 'line', source: 'regions', 'source-layer': 'regions',
      filter: ['==', ['get', 'level'], 'county'], paint: { 'line-color': '#ffffff', 'line-width': 2.2 } },
    { id: 'incidents', type: 'circle', source: 'incidents', 'source-layer': 'incidents',
      paint: {
        'circle-color': categoryExpr(o.categoryColors),
        // Zoom may only drive a top-level interpolate: clusters keep their size, points grow.
        'circle-radius': ['interpolate', ['linear'], ['zoom'],
          10, ['case', ['get', 'cluster'], ['interpolate', ['linear'], ['sqrt', ['get', 'count']], 1, 3, 10, 9, 40, 20], 2.5],
          16, ['case', ['get', 'cluster'], ['interpolate', ['linear'], ['sqrt', ['get', 'count']], 1, 3, 10, 9, 40, 20], 6]],
        'circle-opacity': ['case', ['get', 'cluster'], 0.75, 0.9],
        'circle-stroke-color': '#0b1622', 'circle-stroke-width': 0.6,
      } },
    { id: 'alerts', type: 'circle', source: 'alerts', layout: { visibility: 'none' },
      paint: { 'circle-color': 'rgba(255,77,77,0.18)', 'circle-stroke-color': '#ff4d4d', 'circle-stroke-width': 1.5,
               // radius_m on the ground at Wuwei's latitude (~38°N): 78,271.5 m/px at z0 × cos 38° = 61,678 m/px,
               // so at z20 a metre is 2^20 / 61,678 = 17.0 px; exponential base 2 keeps it metric above z8.
               'circle-radius': ['interpolate', ['exponential', 2], ['zoom'], 8, 3, 20, ['*', ['get', 'radius_m'], 17.0]] } },
    { id: 'stations', type: 'circle', source: 'stations',
      paint: { 'circle-color': '#3fa7ff', 'circle-radius': ['interpolate', ['linear'], ['zoom'], 7, 2.5, 12, 6],
               'circle-stroke-color': '#ffffff', 'circle-stroke-width': ['interpolate', ['linear'], ['zoom'], 7, 1, 12, 2] } },
    { id: 'cameras', type: 'circle', source: 'cameras', minzoom: 9,
      paint: { 'circle-color': '#b084ff', 'circle-radius': 3, 'circle-stroke-color': '#1b0c33', 'circle-stroke-width': 0.5 } },
    { id: 'blind', type: 'circle', source: 'blind', layout: { visibility: 'none' },
      paint: { 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#ff3df2', 'circle-stroke-width': 2.5,
               'circle-radius': ['interpolate', ['linear'], ['zoom'], 8, 6, 14, 14] } },
    // Backlog cases (积案) coloured and sized by age band.
    { id: 'backlog', type: 'circle', source: 'backlog', layout: { visibility: 'none' },
      paint: { 'circle-color': ['match', ['get', 'band'], 0, o.backlogColors[0], 1, o.backlogColors[1], 2, o.backlogColors[2], o.backlogColors[3]],
               'circle-radius': ['interpolate', ['linear'], ['zoom'], 7, ['+', 2, ['get', 'band']], 13, ['+', 5, ['*', 2, ['get', 'band']]]],
               'circle-opacity': 0.85, 'circle-stroke-color': '#1b0c0c', 'circle-stroke-width': 0.5 } },
    // A village officer's own villages (一村一警 desk).
    { id: 'desk-fill', type: 'fill', source: 'desk', paint: { 'fill-color': '#ffd166', 'fill-opacity': 0.08 } },
    { id: 'desk-line', type: 'line', source: 'desk', paint: { 'line-color': '#ffd166', 'line-width': 2.5 } },
    { id: 'world-fill', type: 'fill', source: 'world', filter: ['==', ['geometry-type'], 'Polygon'],
      paint: { 'fill-color': ['match', ['get', 'severity'], 'error', '#ff3b30', '#ffb020'], 'fill-opacity': 0.3 } },
    { id: 'world-line', type: 'line', source: 'world', filter: ['==', ['geometry-type'], 'Polygon'],
      paint: { 'line-color': ['match', ['get', 'severity'], 'error', '#ff3b30', '#ffb020'], 'line-width': 2.5 } },
    { id: 'world-points', type: 'circle', source: 'world', filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-radius': 7, 'circle-color': ['match', ['get', 'severity'], 'error', '#ff3b30', '#ffb020'],
               'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.5 } },
    { id: 'draft-line', type: 'line', source: 'draft', filter: ['==', ['geometry-type'], 'LineString'],
      paint: { 'line-color': '#00e5ff', 'line-width': 3, 'line-dasharray': [2, 1] } },
    { id: 'draft-points', type: 'circle', source: 'draft', filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-radius': 6, 'circle-color': '#00e5ff', 'circle-stroke-color': '#0b1622', 'circle-stroke-width': 2 } },
    { id: 'plan-route', type: 'line', source: 'plan', filter: ['==', ['get', 'kind'], 'route'],
      layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: { 'line-color': ['get', 'color'], 'line-width': 3, 'line-opacity': 0.9 } },
    { id: 'plan-stops', type: 'circle', source: 'plan', filter: ['==', ['get', 'kind'], 'stop'],
      paint: { 'circle-color': ['get', 'color'], 'circle-radius': 8, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.5 } },
    { id: 'plan-labels', type: 'symbol', source: 'plan', filter: ['==', ['get', 'kind'], 'stop'],
      layout: { 'text-field': ['to-string', ['get', 'order']], 'text-font': LABEL_FONT, 'text-size': 11, 'text-allow-overlap': true },
      paint: { 'text-color': '#04121f' } },
    { id: 'units', type: 'circle', source: 'units',
      paint: { 'circle-color': ['match', ['get', 'status'], 'available', '#2ecc71', 'busy', '#ff8a3d', '#7f8c8d'],
               'circle-radius': ['interpolate', ['linear'], ['zoom'], 7, 3, 13, 7],
               'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.5 } },
    { id: 'live-pulse', type: 'circle', source: 'live', filter: ['>', ['get', 't0'], 0],
      paint: { 'circle-color': 'rgba(0,0,0,0)', 'circle-radius': 8, 'circle-stroke-width': 2.5,
               'circle-stroke-color': categoryExpr(o.categoryColors), 'circle-stroke-opacity': 1 } },
    { id: 'live-points', type: 'circle', source: 'live',
      paint: { 'circle-color': categoryExpr(o.categoryColors), 'circle-radius': ['interpolate', ['linear'], ['zoom'], 7, 4, 14, 7],
               'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.2 } },
    { id: 'region-labels', type: 'symbol', source: 'regions', 'source-layer': 'region_labels',
      filter: ['any',
        ['all', ['==', ['get', 'level'], 'county'], ['<', ['zoom'], 10]],
        ['all', ['==', ['get', 'level'], 'township'], ['>=', ['zoom'], 9], ['<', ['zoom'], 12]],
        ['all', ['==', ['get', 'level'], 'village'], ['>=', ['zoom'], 12]]],
      layout: { 'text-field': ['get', 'name'], 'text-font': LABEL_FONT,
        'text-size': ['match', ['get', 'level'], 'county', 16, 'township', 13, 11] },
      paint: { 'text-color': '#f2f6fa', 'text-halo-color': '#0b1622', 'text-halo-width': 1.5 } },
  );
  map = new maplibregl.Map({
    container,
    bounds: o.bounds,
    fitBoundsOptions: { padding: 20 },
    minZoom: 5,
    maxZoom: 18,
    attributionControl: { compact: true },
    fadeDuration: 0,
    localIdeographFontFamily: '"Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif',
    canvasContextAttributes: { preserveDrawingBuffer: true, antialias: false },
    style: { version: 8, glyphs: o.glyphsUrl, sources, layers },
  });
  state.map = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  map.once('load', () => {
    ready = true;
    for (const f of pending) f();
    pending = [];
  });
  map.on('error', (e) => { state.tileErrors += 1; state.lastError = String(e && e.error ? e.error.message : e); });
  map.on('idle', () => {
    state.idleCount += 1;
    if (state.firstIdleMs === null) { state.firstIdleMs = performance.now() - started; }
    emit({ type: 'idle' });
  });
  map.on('click', (e) => {
    if (editing) {
      const under = map.queryRenderedFeatures(e.point, { layers: ['stations', 'cameras', 'cells-fill'].filter((l) => map.getLayer(l)) });
      const resource = under.find((f) => f.layer.id === 'stations' || f.layer.id === 'cameras');
      const cell = under.find((f) => f.layer.id === 'cells-fill');
      emit({ type: 'point', lon: e.lngLat.lng, lat: e.lngLat.lat,
             cell: cell ? cell.properties.code : null, resource: resource ? resource.properties.id : null });
      return;
    }
    const hits = map.queryRenderedFeatures(e.point, { layers: ['incidents', 'stations', 'cells-fill', 'hotspots-fill', 'regions-fill'] });
    const live = map.queryRenderedFeatures(e.point, { layers: ['live-points'] })[0];
    if (live) { emit({ type: 'incident', id: live.properties.id }); return; }
    const incident = hits.find((f) => f.layer.id === 'incidents');
    if (incident) {
      if (incident.properties.cluster) {
        map.easeTo({ center: e.lngLat, zoom: Math.min(map.getZoom() + 2, 17) });
      } else {
        emit({ type: 'incident', id: incident.properties.id });
      }
      return;
    }
    const station = hits.find((f) => f.layer.id === 'stations');
    if (station) { emit({ type: 'resource', id: station.properties.id, name: station.properties.name }); return; }
    // A cell of the cells layer, or of an analysis layer (shown with the cells layer off).
    const cell = hits.find((f) => f.layer.id === 'cells-fill' || f.layer.id === 'hotspots-fill');
    if (cell) { emit({ type: 'cell', code: String(cell.properties.code) }); return; }
    const region = hits.find((f) => f.layer.id === 'regions-fill');
    if (region) { emit({ type: 'region', code: region.properties.code }); }
  });
  for (const id of ['incidents', 'cells-fill', 'hotspots-fill', 'stations']) {
    map.on('mouseenter', id, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', id, () => { map.getCanvas().style.cursor = ''; });
  }
}

export function setSources(incidentsUrl, cellsUrl) {
  if (!map) return;
  urls.incidents = incidentsUrl;
  urls.cells = cellsUrl;
  const apply = () => {
    map.getSource('incidents').setTiles([withWorld(incidentsUrl)]);
    map.getSource('cells').setTiles([withWorld(cellsUrl)]);
  };
  whenReady(apply);
}

export function setScale(scaleJson) {
  if (!map) return;
  const scale = JSON.parse(scaleJson);
  const apply = () => map.setPaintProperty('cells-fill', 'fill-color', choroplethExpr(scale));
  whenReady(apply);
}

const GROUPS = {
  cells: ['cells-fill', 'cells-line', 'cells-selected'],
  incidents: ['incidents'],
  regions: ['regions-village', 'regions-township', 'regions-county', 'region-labels'],
  stations: ['stations'],
  cameras: ['cameras'],
  hotspots: ['hotspots-fill'],
  alerts: ['alerts'],
  units: ['units'],
  live: ['live-pulse', 'live-points'],
  gap: ['gap-fill'],
  blind: ['blind'],
  backlog: ['backlog'],
  world: ['world-fill', 'world-line', 'world-points'],
  draft: ['draft-line', 'draft-points'],
};

// Live incidents (newest last) and the pulse drawn around those younger than PULSE_MS.
const PULSE_MS = 30000;
const MAX_LIVE = 500;
const live = [];
state.liveIds = [];
let pulsing = false;

function liveData() {
  const now = Date.now();
  return { type: 'FeatureCollection', features: live.map((f) => ({
    type: 'Feature', geometry: f.geometry,
    properties: { ...f.properties, t0: now - f.properties.at < PULSE_MS ? f.properties.at : 0 } })) };
}

function pulse() {
  // A map made after signing out and in again has no style yet: the loop stops, and the next
  // live incident starts it again once the style is there.
  if (!map || !ready) { pulsing = false; return; }
  const now = Date.now();
  const young = live.some((f) => now - f.properties.at < PULSE_MS);
  const phase = (now % 1500) / 1500;
  map.setPaintProperty('live-pulse', 'circle-radius', 6 + 22 * phase);
  map.setPaintProperty('live-pulse', 'circle-stroke-opacity', 1 - phase);
  if (young) {
    requestAnimationFrame(pulse);
  } else {
    pulsing = false;
    map.getSource('live').setData(liveData());
  }
}

// A new incident from the live feed: drawn at once with a pulse.
export function addLive(featureJson) {
  const f = JSON.parse(featureJson);
  f.properties.at = Date.now();
  live.push(f);
  if (live.length > MAX_LIVE) live.shift();
  state.liveIds = live.map((x) => x.properties.id);
  whenReady(() => {
    map.getSource('live').setData(liveData());
    if (!pulsing) { pulsing = true; requestAnimationFrame(pulse); }
  });
}

// Patrol units (GeoJSON points with status).
export function setUnits(dataJson) {
  if (!map) return;
  const data = JSON.parse(dataJson);
  state.units = data.features.length;
  whenReady(() => map.getSource('units').setData(data));
}

// An analysis's GeoJSON and its fill-color expression (both JSON text from Rust).
export function setHotspots(dataJson, fillColorJson) {
  if (!map) return;
  const data = JSON.parse(dataJson);
  const fill = JSON.parse(fillColorJson);
  const apply = () => {
    map.setPaintProperty('hotspots-fill', 'fill-color', fill);
    map.getSource('hotspots').setData(data);
  };
  whenReady(apply);
}

// A GeoJSON layer's data by source name: `gap`, `blind`, `plan`, `backlog`, `desk`.
export function setLayerData(source, dataJson) {
  if (!map) return;
  const data = JSON.parse(dataJson);
  state.layerCounts = state.layerCounts || {};
  state.layerCounts[source] = data.features.length;
  if (source === 'plan') state.planFeatures = data.features.length;
  whenReady(() => map.getSource(source).setData(data));
}

// The scorecard's colours: `colorsJson` is [[region code, colour], ...] for regions of `level`;
// an empty list hides the layer.
export function setScorecard(level, colorsJson) {
  if (!map) return;
  const colors = JSON.parse(colorsJson);
  state.scorecardRegions = colors.length;
  whenReady(() => {
    if (!colors.length) { map.setLayoutProperty('scorecard-fill', 'visibility', 'none'); return; }
    const expr = ['match', ['get', 'code']];
    for (const [code, colour] of colors) expr.push(code, colour);
    expr.push('rgba(0,0,0,0)');
    map.setFilter('scorecard-fill', ['==', ['get', 'level'], level]);
    map.setPaintProperty('scorecard-fill', 'fill-color', expr);
    map.setLayoutProperty('scorecard-fill', 'visibility', 'visible');
  });
}

export function setAlerts(dataJson) {
  if (!map) return;
  const data = JSON.parse(dataJson);
  whenReady(() => map.getSource('alerts').setData(data));
}

export function setVisible(group, visible) {
  if (!map) return;
  const apply = () => {
    for (const id of GROUPS[group] || []) { map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none'); }
  };
  whenReady(apply);
}

export function fitBounds(minLon, minLat, maxLon, maxLat) {
  if (!map) return;
  map.fitBounds([[minLon, minLat], [maxLon, maxLat]], { padding: 40, maxZoom: 17, duration: 600 });
}

export function flyTo(lon, lat, zoom) {
  if (map) map.flyTo({ center: [lon, lat], zoom, duration: 600 });
}

export function selectCell(code) {
  selected = code;
  if (!map) return;
  const apply = () => map.setFilter('cells-selected', ['==', ['get', 'code'], code || '']);
  whenReady(apply);
}

// Clicks become places (`{type: 'point', lon, lat, cell, resource}`) while the base data is edited.
export function setEditing(on) {
  editing = !!on;
  if (map) map.getCanvas().style.cursor = editing ? 'crosshair' : '';
}

// A new version of the world is published: regions, cells and incidents are fetched afresh
// (their tile URLs carry the version), and the stations and cameras read again.
export function reloadWorld(version) {
  worldVersion = version;
  state.worldVersion = version;
  if (!map) return;
  whenReady(() => {
    for (const name of ['regions', 'cells', 'incidents']) map.getSource(name).setTiles([withWorld(urls[name])]);
    for (const name of ['stations', 'cameras']) map.getSource(name).setData(urls[name]);
  });
}

// A small map to pick a place (the phone app's report, the citizen's report): the base layers,
// the cells' outlines when signed in, and one marker that a tap moves. `onPick` gets
// JSON `[lon, lat]`. Separate from the dashboard's map; one at a time.
let picker = null;
let pickerMarker = null;
export function createPicker(container, optionsJson, onPick) {
  if (picker) picker.remove();
  const o = JSON.parse(optionsJson);
  const sources = {};
  const layers = [{ id: 'background', type: 'background', paint: { 'background-color': '#0b1622' } }];
  for (const b of o.baseLayers || []) {
    sources['base-' + b.name] = { type: 'raster', tiles: [b.url], tileSize: 256, attribution: b.attribution };
    layers.push({ id: 'base-' + b.name, type: 'raster', source: 'base-' + b.name });
  }
  if (o.cellsUrl) {
    sources.cells = { type: 'vector', tiles: [o.cellsUrl], minzoom: 6, maxzoom: 14 };
    layers.push({ id: 'cells-line', type: 'line', source: 'cells', 'source-layer': 'cells',
                  paint: { 'line-color': '#6f8aa6', 'line-width': 1 } });
  }
  if (o.areas) {
    sources.areas = { type: 'geojson', data: o.areas };
    layers.push({ id: 'areas-line', type: 'line', source: 'areas', paint: { 'line-color': '#c5d6e8', 'line-width': 1.2 } });
  }
  picker = new maplibregl.Map({
    container, center: o.center, zoom: o.zoom, minZoom: 5, maxZoom: 18, fadeDuration: 0,
    attributionControl: { compact: true },
    canvasContextAttributes: { preserveDrawingBuffer: true, antialias: false },
    style: { version: 8, glyphs: o.glyphsUrl, sources, layers },
  });
  state.picker = picker;
  pickerMarker = new maplibregl.Marker({ color: '#ff8a3d' }).setLngLat(o.center).addTo(picker);
  picker.on('click', (e) => {
    pickerMarker.setLngLat(e.lngLat);
    onPick(JSON.stringify([e.lngLat.lng, e.lngLat.lat]));
  });
}

// Moves the picker's marker (and the view) to a place, e.g. the GPS position.
export function setPickerPoint(lon, lat) {
  if (!picker) return;
  pickerMarker.setLngLat([lon, lat]);
  picker.easeTo({ center: [lon, lat], zoom: Math.max(picker.getZoom(), 15) });
}

// Removes the picker (its page closed).
export function removePicker() {
  if (picker) { picker.remove(); picker = null; state.picker = null; }
}
