import { Router } from 'express';
import { aiDisclosure } from '../../../core/compliance/ai-disclosure.ts';
import type { Db } from '../../../core/db.ts';
import { findOrganizationByWidgetKey } from '../../../core/organizations.ts';
import { embeddingAllowed, widgetTheme } from '../../../core/widget-settings.ts';
import type { ClientBundles } from '../../client-bundles.ts';
import { sendProblem } from '../problem.ts';

const style = `*{box-sizing:border-box}html,body,#qh-root{margin:0;height:100%;font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#111}
.chat{display:flex;flex-direction:column;height:100%}
header{display:flex;align-items:center;gap:8px;padding:12px 14px;background:var(--qh);color:#fff}
header img{width:28px;height:28px;border-radius:50%}header h1{font-size:16px;margin:0;flex:1}
.dot{width:8px;height:8px;border-radius:50%;background:#f59e0b}.dot.on{background:#22c55e}
.close{background:none;border:0;color:#fff;font-size:24px;line-height:1;cursor:pointer;padding:0 4px}
.close:focus-visible,button:focus-visible,textarea:focus-visible,input:focus-visible,a:focus-visible{outline:3px solid #111;outline-offset:1px}
.banner{margin:0;padding:6px 14px;background:#fef3c7;font-size:13px}
.log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;background:#f8fafc}
.msg{max-width:85%;padding:8px 12px;border-radius:14px;background:#fff;border:1px solid #e2e8f0;white-space:pre-wrap;overflow-wrap:anywhere;margin:0}
.msg.prospect{align-self:flex-end;background:var(--qh);color:#fff;border-color:transparent}.msg.prospect a{color:#fff}
.disclosure{align-self:center;margin:0;font-size:12px;color:#475569;text-align:center}
.msg.system{align-self:center;background:none;border:0;color:#475569;font-size:13px;text-align:center}
.msg.pending{opacity:.7}.state{display:block;font-size:11px;opacity:.85}
.msg.refused{background:#fff;color:#991b1b;border:1px dashed #f87171}
.who{display:block;font-size:11px;color:#64748b;margin-bottom:2px}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.typing{display:flex;gap:4px;margin:0;padding:8px 12px}.typing span[aria-hidden]{width:6px;height:6px;border-radius:50%;background:#94a3b8;animation:b 1s infinite}
.typing span:nth-child(2){animation-delay:.15s}.typing span:nth-child(3){animation-delay:.3s}@keyframes b{50%{opacity:.3}}
.composer{display:flex;gap:8px;padding:10px;border-top:1px solid #e2e8f0}
textarea{flex:1;resize:none;border:1px solid #cbd5e1;border-radius:10px;padding:8px 10px;font:inherit;max-height:120px}
button[type=submit]{background:var(--qh);color:#fff;border:0;border-radius:10px;padding:0 14px;font:inherit;cursor:pointer}
button[disabled]{opacity:.5;cursor:default}
.prechat{display:flex;flex-direction:column;gap:8px;padding:12px;border-top:1px solid #e2e8f0}.prechat h2{font-size:15px;margin:0}
.prechat label{display:flex;flex-direction:column;font-size:13px;gap:2px}.prechat input{font:inherit;padding:6px 8px;border:1px solid #cbd5e1;border-radius:8px}
.prechat .consent{flex-direction:row;gap:8px;align-items:flex-start}.prechat button{padding:8px}`;

/** Text inside <script type="application/json"> cannot end the element or open a comment. */
const jsonForScript = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/**
 * The embeddable widget: `/widget.js` (the loader), the chat frame it opens, and the chat app.
 * The frame answers only for a known widget key and, when the organization lists allowed
 * origins, only inside those sites (the browser enforces CSP frame-ancestors).
 */
export function widgetRoutes(db: Db, bundles: ClientBundles): Router {
  const router = Router();

  router.get('/widget.js', (_req, res) => {
    res.type('application/javascript').set('Cache-Control', 'public, max-age=300').send(bundles.loader);
  });

  router.get('/widget/app.js', (_req, res) => {
    res.type('application/javascript').set('Cache-Control', 'public, max-age=300').send(bundles.widgetApp);
  });

  router.get('/widget/frame', async (req, res) => {
    const key = typeof req.query.key === 'string' ? req.query.key : '';
    const origin = typeof req.query.origin === 'string' ? req.query.origin : undefined;
    const org = key ? await findOrganizationByWidgetKey(db, key) : null;
    if (!org) {
      sendProblem(res, 404, 'Not Found', 'unknown widget key');
      return;
    }
    if (!embeddingAllowed(org, origin)) {
      sendProblem(res, 403, 'Forbidden', 'this site is not allowed to embed the chat');
      return;
    }
    const ancestors = org.settings.allowedOrigins.length ? org.settings.allowedOrigins.join(' ') : '*';
    const theme = widgetTheme(org);
    res
      .type('html')
      .set(
        'Content-Security-Policy',
        `default-src 'self'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' https: data:; ` +
          `connect-src 'self' ws: wss:; frame-ancestors ${ancestors}`,
      )
      .set('Referrer-Policy', 'no-referrer')
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
          `<title>${theme.title.replace(/[<>&"]/g, '')}</title><style>:root{--qh:${theme.color}}${style}</style></head>` +
          `<body><div id="qh-root"></div><script type="application/json" id="qh-config">${jsonForScript({ key, origin: origin ?? '', theme, disclosure: aiDisclosure(org, 'web') })}</script>` +
          `<script src="/widget/app.js" defer></script></body></html>`,
      );
  });

  return router;
}
