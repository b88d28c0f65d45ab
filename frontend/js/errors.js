// Every page error, unhandled promise rejection and console error of this page, in
// `window.__safegridErrors`: for people debugging, and for the browser tests, which fail on any.
export function recordErrors() {
  if (window.__safegridErrors) return;
  const errors = [];
  window.__safegridErrors = errors;
  const keep = (what) => { if (errors.length < 200) errors.push(what); };
  window.addEventListener('error', (e) => keep('page error: ' + (e.message || (e.error && String(e.error)) || e.type)));
  window.addEventListener('unhandledrejection', (e) => keep('unhandled rejection: ' + String((e.reason && e.reason.message) || e.reason)));
  const consoleError = console.error.bind(console);
  console.error = (...args) => { keep('console error: ' + args.map(String).join(' ')); consoleError(...args); };
}
