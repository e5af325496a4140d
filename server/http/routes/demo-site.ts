import { Router } from 'express';
import type { Db } from '../../../core/db.ts';
import { findDemoOrganization } from '../../../core/demo-organization.ts';
import { getOrganization } from '../../../core/organizations.ts';

/**
 * The demo a new user lands on: Brightwave's (fictional) landing page with the chat widget
 * embedded exactly as a customer would embed it.
 */
export function demoSiteRoutes(db: Db): Router {
  const router = Router();
  router.get(['/', '/demo'], async (_req, res) => {
    const orgId = await findDemoOrganization(db);
    const widgetKey = orgId ? (await getOrganization(db, orgId)).widgetKey : null;
    res.type('html').send(demoPage(widgetKey));
  });
  return router;
}

function demoPage(widgetKey: string | null): string {
  const embed = widgetKey ? `<script src="/widget.js" data-key="${widgetKey}" async></script>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Brightwave — pipeline analytics for revenue teams</title>
<style>
body{margin:0;font:17px/1.6 Georgia,serif;color:#1e293b;background:#fffdf7}
nav{display:flex;justify-content:space-between;align-items:center;padding:18px 6vw;border-bottom:1px solid #eee}
nav b{font:700 22px system-ui;color:#0f766e}nav a{margin-left:18px;color:#334155;text-decoration:none;font-family:system-ui}
.hero{padding:9vh 6vw 6vh;max-width:900px}.hero h1{font-size:46px;line-height:1.1;margin:0 0 16px}
.cta{display:inline-block;margin-top:18px;padding:12px 22px;background:#0f766e;color:#fff;border-radius:8px;text-decoration:none;font-family:system-ui}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:24px;padding:4vh 6vw}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:12px;padding:20px}
.card h3{margin-top:0;font-family:system-ui}footer{padding:30px 6vw;color:#64748b;font-size:14px}
</style></head>
<body>
<nav><b>Brightwave</b><span><a href="#product">Product</a><a href="#pricing">Pricing</a><a href="/console">Rep console</a></span></nav>
<section class="hero"><h1>Know which deals will close — before your quarter does.</h1>
<p>Brightwave Pipeline Analytics connects to your CRM, forecasts the quarter from real deal activity and tells your team which deals are at risk, and why.</p>
<a class="cta" href="#pricing">Start a 14-day free trial</a></section>
<section class="grid" id="product">
<div class="card"><h3>Forecasts you can defend</h3><p>Deal-level signals roll up to a forecast your board will believe.</p></div>
<div class="card"><h3>Stalled-deal alerts</h3><p>Slack and Teams alerts when a deal goes quiet, with the next best action.</p></div>
<div class="card"><h3>Works with your CRM</h3><p>Salesforce, HubSpot and Pipedrive in minutes. Export to Snowflake and BigQuery.</p></div>
</section>
<section class="grid" id="pricing">
<div class="card"><h3>Starter</h3><p>$49 per user per month, up to 10 users.</p></div>
<div class="card"><h3>Growth</h3><p>$99 per user per month: forecasting, alerts, API and SSO.</p></div>
<div class="card"><h3>Enterprise</h3><p>Custom pricing from 50 users, with an SLA and EU data residency.</p></div>
</section>
<footer>Brightwave is a fictional company: this page demonstrates QuotaHit's chat widget. Ask the chat anything about Brightwave.</footer>
${embed}
</body></html>`;
}
