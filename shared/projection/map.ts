/** The map's live layer: recent urgent and sensing (智能感知) cases still open, newest first and bounded. */
import type { EpochMs } from '../time';
import { MAP_MARKERS_MAX, type MapMarker, type MapPanel } from '../wall/panels';
import type { SpaceProjection } from './state';

/** Markers of open urgent or sensing cases received within `windowMin` minutes of `now`. */
export function mapView(p: SpaceProjection, now: EpochMs, windowMin = 120): MapPanel {
  const since = now - windowMin * 60_000;
  const out: MapMarker[] = [];
  for (const id of p.open) {
    const c = p.cases.get(id);
    if (!c || c.receivedAt < since || c.receivedAt > now) continue;
    const kind = c.urgency === 'urgent' ? 'urgent' : c.channel === 'sensing' ? 'sensing' : null;
    if (!kind) continue;
    out.push({
      caseId: c.id,
      street: c.street,
      kind,
      at: c.receivedAt,
      lat: c.lat,
      lng: c.lng,
      title: c.title.slice(0, 60),
    });
  }
  out.sort((a, b) => b.at - a.at || a.caseId.localeCompare(b.caseId));
  return { markers: out.slice(0, MAP_MARKERS_MAX), windowMin };
}
