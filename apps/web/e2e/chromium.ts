/**
 * How browser tests and the B9 benchmark start Debian's Chromium: headless, no sandbox (root in a
 * container), and nothing of its own that would reach the (closed) network or compete with the page
 * for the CPU.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // New headless Chromium still builds the address bar's suggestion popup as a web page of its own
  // (a second renderer loading ~1 MB of script) for every new tab, at the moment that tab's page
  // loads: on two cores it took ~0.7 s of CPU from the page under test, at random.
  '--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup',
];
