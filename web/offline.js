// offline.js: the service worker (sw.js), which keeps the app's files for
// use offline, and the header's line that says whether it is ready.
import { $ } from './dom.js';

// registerServiceWorker registers sw.js for the app's folder and sets
// stats.offlineReady once it is active.
export async function registerServiceWorker(stats) {
  const status = $('offline-status');
  if (!('serviceWorker' in navigator)) return;
  try {
    // updateViaCache 'none': the browser's checks for a new version ask the
    // host for sw.js and version.js, even where it sends no Cache-Control
    // and would keep version.js in the HTTP cache for days.
    const reg = await navigator.serviceWorker.register('sw.js', { scope: './', updateViaCache: 'none' });
    const ready = () => {
      status.textContent = 'Available offline';
      status.className = 'ok';
      stats.offlineReady = true;
    };
    if (reg.active) ready();
    else navigator.serviceWorker.ready.then(ready);
  } catch (err) {
    status.textContent = `Offline use unavailable (${err.message})`;
  }
}

