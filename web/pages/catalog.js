// catalog.js - names for ids: the first pages of programs, affiliates and links, loaded
// once per page view, so tables can show "Demo Shop" instead of "#1". Beyond the first
// 500 of each, ids are shown as "#id".
import { useEffect, useState } from '../vendor/hooks.mjs';
import { get } from '../api.js';

export function useCatalog(reload = 0, { links = false } = {}) {
  const [cat, setCat] = useState({ programs: [], affiliates: [], links: [], ready: false });
  useEffect(() => {
    let live = true;
    Promise.all([
      get('/v1/programs?limit=500'),
      get('/v1/affiliates?limit=500'),
      links ? get('/v1/links?limit=500') : Promise.resolve({ data: [] }),
    ]).then(([p, a, l]) => {
      if (live) setCat({ programs: p.data, affiliates: a.data, links: l.data, ready: true });
    }).catch((error) => { if (live) setCat((c) => ({ ...c, error, ready: true })); });
    return () => { live = false; };
  }, [reload]);
  const byId = (list) => new Map(list.map((x) => [x.id, x]));
  const programs = byId(cat.programs), affiliates = byId(cat.affiliates), linkMap = byId(cat.links);
  return {
    ...cat,
    programName: (id) => (programs.get(id) ? programs.get(id).name : `#${id}`),
    affiliateName: (id) => (id === null || id === undefined ? '—' : affiliates.get(id) ? affiliates.get(id).name : `#${id}`),
    linkCode: (id) => (id === null || id === undefined ? '—' : linkMap.get(id) ? linkMap.get(id).code : `#${id}`),
    currencyOf: (id) => (programs.get(id) ? programs.get(id).currency : null),
    /** The one currency of every program, or null when they differ (or there are none). */
    soleCurrency: () => {
      const cs = new Set(cat.programs.map((p) => p.currency));
      return cs.size === 1 ? [...cs][0] : null;
    },
  };
}
