// The operator's display preferences, kept in this browser: theme and time zone.
//
// Theme: "auto" (follow the system, the default), "light" or "dark". Time zone: "utc" (the
// default) or "local" (the browser's zone). Both are remembered in localStorage and applied
// before the first draw; a change is announced to the page's components with a
// "dash-prefs" window event and to the server with emitEvent("dash_prefs").
(() => {
  "use strict";

  const THEMES = ["auto", "light", "dark"];
  const ZONES = ["utc", "local"];

  function read(key, allowed) {
    try {
      const value = window.localStorage.getItem("dash." + key);
      return allowed.includes(value) ? value : allowed[0];
    } catch (e) {
      return allowed[0];
    }
  }

  function write(key, value) {
    try {
      window.localStorage.setItem("dash." + key, value);
    } catch (e) {
      // private mode or storage disabled: the choice lasts for this page only
    }
  }

  const state = { theme: read("theme", THEMES), tz: read("tz", ZONES) };

  // The browser's zone, named once per page: naming it needs an Intl formatter, and a tab's
  // first one costs ~70 ms (locale and zone tables); UTC, the default, needs none.
  let browserZone = null;
  function localZone() {
    if (browserZone === null) {
      try {
        browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
      } catch (e) {
        browserZone = "UTC";
      }
    }
    return browserZone;
  }

  function applyTheme() {
    const dark = state.theme === "auto" ? "auto" : state.theme === "dark";
    if (window.Quasar && window.Quasar.Dark) window.Quasar.Dark.set(dark);
  }

  function announce() {
    window.dispatchEvent(new CustomEvent("dash-prefs", { detail: { ...state } }));
    const payload = { theme: state.theme, tz: state.tz, zone: DashPrefs.zoneName() };
    const send = () => {
      if (window.did_handshake && typeof emitEvent === "function") emitEvent("dash_prefs", payload);
      else setTimeout(send, 50);
    };
    send();
  }

  const two = (n) => String(n).padStart(2, "0");

  window.DashPrefs = {
    get theme() {
      return state.theme;
    },
    get tz() {
      return state.tz;
    },
    /** The IANA name of the zone times are shown in. */
    zoneName() {
      return state.tz === "utc" ? "UTC" : localZone();
    },
    /** True when the page is drawn dark (whatever chose it). */
    isDark() {
      return document.body.classList.contains("body--dark");
    },
    /**
     * Format epoch ms in the chosen zone: "2026-12-01 14:03:22" (or the time alone).
     * Date's own UTC and local getters, not an Intl formatter (see localZone); the local
     * getters use the browser's zone, the one zoneName() names.
     */
    format(ms, withDate = true) {
      const d = new Date(ms);
      const [y, mo, day, h, mi, s] = state.tz === "utc"
        ? [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]
        : [d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()];
      const time = `${two(h)}:${two(mi)}:${two(s)}`;
      return withDate ? `${y}-${two(mo + 1)}-${two(day)} ${time}` : time;
    },
    cycleTheme() {
      state.theme = THEMES[(THEMES.indexOf(state.theme) + 1) % THEMES.length];
      write("theme", state.theme);
      applyTheme();
      announce();
    },
    toggleZone() {
      state.tz = state.tz === "utc" ? "local" : "utc";
      write("tz", state.tz);
      announce();
    },
    /** Called once the page is up: apply the remembered theme and tell the server. */
    init() {
      applyTheme();
      announce();
    },
  };
})();
