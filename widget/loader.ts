/**
 * The embeddable loader (`/widget.js`): draws the launcher and opens the chat in an iframe only
 * when the prospect asks for it (or a conversation is already running). The chat lives in an
 * iframe served by QuotaHit, so the host page's CSS and scripts cannot reach it, and the server
 * can restrict which sites may frame it (CSP frame-ancestors from the organization's allowed
 * origins). Kept tiny: no framework, no dependencies.
 */
(() => {
  const script = document.currentScript as HTMLScriptElement | null;
  const key = script?.dataset.key;
  if (!script || !key || (window as unknown as { __quotahit?: boolean }).__quotahit) return;
  (window as unknown as { __quotahit?: boolean }).__quotahit = true;
  const base = new URL(script.src).origin;
  const storageKey = `quotahit:${key}:open`;
  const active = localStorage.getItem(`quotahit:${key}:active`) === '1';

  const host = document.createElement('div');
  host.style.cssText = 'position:fixed;z-index:2147483000;bottom:0;right:0;width:0;height:0';
  const root = host.attachShadow({ mode: 'open' });
  root.innerHTML = `<style>
button{position:fixed;bottom:20px;right:20px;width:56px;height:56px;border-radius:50%;border:0;cursor:pointer;
background:var(--qh,#2563eb);color:#fff;box-shadow:0 4px 14px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center}
button:focus-visible{outline:3px solid #111;outline-offset:2px}
:host([left]) button{right:auto;left:20px}
iframe{position:fixed;bottom:88px;right:20px;width:380px;height:min(600px,calc(100vh - 110px));border:0;border-radius:14px;
box-shadow:0 8px 30px rgba(0,0,0,.25);background:#fff;display:none}
:host([left]) iframe{right:auto;left:20px}
:host([open]) iframe{display:block}
@media (max-width:600px){:host([open]) iframe{inset:0;width:100%;height:100%;border-radius:0}:host([open]) button{display:none}}
</style><button type="button" aria-label="Open chat" aria-expanded="false"><svg width="26" height="26" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" aria-hidden="true"><path d="M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z"/></svg></button>`;
  const button = root.querySelector('button')!;
  let frame: HTMLIFrameElement | undefined;

  const setOpen = (open: boolean) => {
    if (open && !frame) {
      frame = document.createElement('iframe');
      frame.title = 'Chat';
      frame.allow = 'microphone';
      frame.src = `${base}/widget/frame?key=${encodeURIComponent(key)}&origin=${encodeURIComponent(location.origin)}`;
      root.appendChild(frame);
    }
    host.toggleAttribute('open', open);
    button.setAttribute('aria-expanded', String(open));
    button.setAttribute('aria-label', open ? 'Close chat' : 'Open chat');
    localStorage.setItem(storageKey, open ? '1' : '0');
    if (open) frame?.focus();
  };
  button.addEventListener('click', () => setOpen(!host.hasAttribute('open')));

  // The chat app asks to close (Escape, its close button) and says when a conversation started.
  window.addEventListener('message', (event) => {
    if (event.origin !== base || event.source !== frame?.contentWindow) return;
    const data = event.data as { quotahit?: string; color?: string; position?: string };
    if (data.quotahit === 'close') {
      setOpen(false);
      button.focus();
    }
    if (data.quotahit === 'active') localStorage.setItem(`quotahit:${key}:active`, '1');
    if (data.quotahit === 'theme') {
      if (data.color && /^#[0-9a-f]{3,8}$/i.test(data.color)) host.style.setProperty('--qh', data.color);
      host.toggleAttribute('left', data.position === 'left');
    }
  });

  document.body.appendChild(host);
  // Bring the chat back as it was: open, or loaded in the background when a conversation runs.
  if (localStorage.getItem(storageKey) === '1') setOpen(true);
  else if (active) {
    setOpen(true);
    setOpen(false);
  }
})();
