"""The briefing page as a Jinja2 template (autoescaped; print styles included)."""

from __future__ import annotations

__all__ = ["PAGE"]

PAGE = r"""<!DOCTYPE html>
<html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ county }} {{ t('title') }} {{ as_of_text }}</title>
<style>
body { font-family: "Noto Sans CJK SC", "WenQuanYi Zen Hei", "Microsoft YaHei", sans-serif;
       margin: 0 auto; max-width: 1100px; padding: 12px 20px; color: #1b2631; }
h1 { font-size: 22px; margin: 4px 0; }
h2 { font-size: 17px; border-bottom: 2px solid #b03a2e; padding-bottom: 2px; margin-top: 22px; }
.meta { color: #555; font-size: 13px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; }
.card { border: 1px solid #ccc; border-radius: 6px; padding: 8px 14px; min-width: 150px; }
.card .num { font-size: 28px; font-weight: bold; color: #b03a2e; }
.card .sub { font-size: 12px; color: #555; }
table { border-collapse: collapse; font-size: 12.5px; margin: 6px 0; width: 100%; }
th, td { border: 1px solid #bbb; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f2f3f4; }
td.n, th.n { text-align: right; white-space: nowrap; }
td.nw { white-space: nowrap; }
iframe.tl-map { width: 100%; height: 600px; border: 1px solid #999; }
svg.tl-epicurve { max-width: 100%; height: auto; display: block; }
.lvl-high { color: #c0392b; font-weight: bold; }
.lvl-medium { color: #d68910; font-weight: bold; }
.note { font-size: 12px; color: #555; }
footer { margin-top: 24px; font-size: 11px; color: #666; border-top: 1px solid #ccc; }
.delta { font-size: 12px; color: #1b2631; margin-top: 2px; }
.capacity { font-size: 12px; color: #1b2631; margin-top: 2px; }
/* Every printed page: the briefing and its time at the left, the page number at the right
   (CSS margin boxes; Chromium prints them in --pdf and in the print dialog). */
@page {
  size: A4; margin: 11mm 12mm 14mm;
  @bottom-left { content: {{ footer_left }}; font-size: 8pt; color: #555;
    font-family: "Noto Sans CJK SC", "WenQuanYi Zen Hei", "Microsoft YaHei", sans-serif; }
  @bottom-right { content: {{ footer_right }}; font-size: 8pt; color: #555;
    font-family: "Noto Sans CJK SC", "WenQuanYi Zen Hei", "Microsoft YaHei", sans-serif; }
}
/* Page 1 holds the title, the headline cards and the map; the tables follow. */
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  h1 { font-size: 18px; margin: 0; }
  .meta { font-size: 10px; margin: 2px 0 0; }
  h2 { font-size: 14px; margin: 8px 0 4px; break-after: avoid; }
  section { break-inside: avoid-page; }
  section.long { break-inside: auto; }
  #contacts { break-before: page; }
  .cards { flex-wrap: nowrap; gap: 6px; }
  .card { flex: 1 1 0; min-width: 0; padding: 3px 7px; }
  .card .num { font-size: 20px; }
  .card .sub, .delta, .capacity { font-size: 9px; }
  iframe.tl-map { height: 184mm; }  /* what A4 leaves below the cards, with room to spare */
  #map .note { margin: 2px 0 0; font-size: 9px; }
  .screen-only { display: none; }
  tr { break-inside: avoid; }
  details.params > :not(summary) { display: none; }
  /* The network is a picture that cannot break: it gets a page of its own after the map. */
  section.tl-chains { break-before: page; }
  section.tl-chains svg.tl-ch-graph { width: 100%; height: 150mm; }
}
</style>
</head>
<body>
{#- A headline card's change since the previous briefing (--since), e.g. "+12 较上次". #}
{%- macro delta(key) %}{% if key in deltas %}<div class="delta" data-delta="{{ key }}">
  {{- delta_text(deltas[key]) }}</div>{% endif %}{% endmacro %}
<header>
  <h1>{{ county }} {{ t('title') }}</h1>
  <p class="meta">{{ t('as_of') }}: <span id="as-of">{{ as_of_text }}</span> ·
    {{ t('regime') }}: {{ regime }} · {{ t('rule_id') }}: <code>{{ rule_id }}</code></p>
</header>

<section id="headline">
  <h2>{{ t('headline') }}</h2>
  <div class="cards">
    <div class="card"><div>{{ t('cases') }}</div>
      <div class="num" data-key="cases">{{ h.cases }}</div>
      <div class="sub">{{ t('confirmed') }} <span data-key="confirmed">{{ h.confirmed }}</span> ·
        {{ t('asymptomatic') }} <span data-key="asymptomatic">{{ h.asymptomatic }}</span></div>
      {{ delta('cases') }}
    </div>
    <div class="card"><div>{{ t('contacts') }}</div>
      <div class="num" data-key="contacts">{{ h.contacts }}</div>
      <div class="sub">{% for tier in tiers %}{{ t(tier) }}
        <span data-key="tier-{{ tier }}">{{ h.contacts_by_tier[tier] }}</span>
        {%- if not loop.last %} · {% endif %}{% endfor %}</div>
      <div class="capacity" data-key="capacity" data-calls="{{ calls_per_day }}">
        {{- t('capacity', n=calls_per_day) }}</div>
      {{ delta('contacts') }}
    </div>
    {%- if fu %}
    <div class="card"><div>{{ t('followup') }}</div>
      <div class="num" data-key="followup-located">{{ fu.located }} / {{ fu.listed }}</div>
      <div class="sub">{{ t('followup_located') }}
        {%- if fu.located_share is not none %} {{ "%.0f"|format(fu.located_share * 100) }}%{% endif %}
        · {{ t('followup_overdue') }} <span data-key="followup-overdue">{{ fu.overdue }}</span></div>
    </div>
    {%- endif %}
    <div class="card"><div>{{ t('venues') }}</div>
      <div class="num" data-key="venues">{{ h.venues }}</div>
      {{ delta('venues') }}
    </div>
    <div class="card"><div>{{ t('risk_areas') }}</div>
      <div class="num" data-key="areas">{{ h.areas.high + h.areas.medium }}</div>
      <div class="sub">{% for lvl in levels %}{{ t(lvl) }}
        <span data-key="areas-{{ lvl }}">{{ h.areas[lvl] }}</span>
        {%- if not loop.last %} · {% endif %}{% endfor %}</div>
      {{ delta('areas') }}
    </div>
  </div>
</section>

<section id="map">
  <h2>{{ t('map') }}</h2>
  <iframe class="tl-map" title="{{ t('map') }}" sandbox="allow-scripts"
    srcdoc="{{ map_page }}"></iframe>
  <p class="note">{{ t('map_note') }}<span class="screen-only"> {{ t('map_hint') }}</span></p>
</section>

{#- Slot: the chains of transmission, a whole <section> of trusted HTML built by our
    own code (render_html(network=...)); empty leaves no trace. In print it is page 2. #}
{{ network }}

<section id="contacts">
  <h2>{{ t('contacts_by') }}</h2>
  <table id="contacts-by">
    <tr><th>{{ t('category') }}</th>
      {%- for tier in tiers %}<th class="n">{{ t(tier) }}</th>{% endfor -%}
      <th class="n">{{ t('total') }}</th></tr>
    {% for cat in categories %}<tr data-category="{{ cat }}"><td>{{ t(cat) }}</td>
      {%- for tier in tiers %}
      <td class="n" data-tier="{{ tier }}">{{ h.contacts_by_category_tier[cat][tier] }}</td>
      {%- endfor %}
      <td class="n" data-tier="total">{{ h.contacts_by_category[cat] }}</td></tr>
    {% endfor %}
  </table>
  <p id="capacity">{{ capacity_text }}</p>
  <p class="note">{{ t('privacy') }}</p>
</section>

<section id="epi">
  <h2>{{ t('epi') }}</h2>
  {{ svg_onset }}
  {{ svg_report }}
  {% if undated %}<p class="note">{{ t('undated') }}: {{ undated }}</p>{% endif %}
</section>

<section id="top-venues" class="long">
  <h2>{{ t('top_venues') }}</h2>
  {% if venues %}<table>
    <tr><th class="n">{{ t('rank') }}</th><th>{{ t('venue') }}</th><th>{{ t('venue_type') }}</th>
      <th>{{ t('township') }}</th><th class="n">{{ t('n_cases') }}</th>
      <th class="n">{{ t('n_exposed') }}</th><th class="n">{{ t('peak') }}</th>
      <th>{{ t('reason') }}</th></tr>
    {% for v in venues %}<tr class="tl-top-venue" data-venue="{{ v.venue_id }}">
      <td class="n">{{ v.rank }}</td>
      <td><span class="venue-name">{{ v.name }}</span><br>
        <span class="note">{{ v.address }}</span></td>
      <td class="nw">{{ v.type }}</td><td class="nw">{{ v.township }}</td>
      <td class="n">{{ v.n_cases }}</td><td class="n">{{ v.n_exposed }}</td>
      <td class="n">{{ v.peak }}</td><td>{{ v.reason }}</td></tr>
    {% endfor %}
  </table>{% else %}<p>{{ t('none') }}</p>{% endif %}
  {% if townships %}<h3>{{ t('top_townships') }}</h3>
  <table>
    <tr><th>{{ t('township') }}</th><th class="n">{{ township_title }}</th>
      <th class="n">{{ t('cases') }}</th></tr>
    {% for r in townships %}<tr><td>{{ r.name }}</td><td class="n">{{ r.contacts }}</td>
      <td class="n">{{ r.cases }}</td></tr>
    {% endfor %}
  </table>{% endif %}
</section>

<section id="areas" class="long">
  <h2>{{ t('areas_table') }}</h2>
  {% if areas %}<table>
    <tr><th>{{ t('level') }}</th><th>{{ t('venue') }}</th><th>{{ t('township') }}</th>
      <th>{{ t('designated_on') }}</th><th>{{ t('last_case_on') }}</th>
      <th>{{ t('lifts_on') }}</th><th>{{ t('reason') }}</th></tr>
    {% for a in areas %}<tr class="tl-area" data-area="{{ a.area_id }}">
      <td class="nw lvl-{{ a.level }}">{{ t(a.level) }}</td><td>{{ a.name }}</td>
      <td class="nw">{{ a.township }}</td><td class="nw">{{ a.designated_on }}</td>
      <td class="nw">{{ a.last_case_on }}</td><td class="nw">{{ a.lifts_on }}</td>
      <td>{{ a.reason }}</td></tr>
    {% endfor %}
  </table>{% else %}<p>{{ t('no_areas') }}</p>{% endif %}
</section>

<section id="changes">
  <h2>{{ t('changes') }}</h2>
  {% if not ch %}<p>{{ t('no_previous') }}</p>{% else %}
  <p class="meta">{{ t('previous_as_of') }}:
    <span id="previous-as-of">{{ previous_as_of }}</span></p>
  <table id="change-figures">
    <tr><th>{{ t('item') }}</th><th class="n">{{ t('previous') }}</th>
      <th class="n">{{ t('current') }}</th><th class="n">{{ t('change') }}</th></tr>
    {% for name, old, new in ch.figures %}<tr data-figure="{{ name }}">
      <td>{{ figure_name(name) }}</td><td class="n">{{ old }}</td><td class="n">{{ new }}</td>
      <td class="n">{{ '%+d' % (new - old) }}</td></tr>
    {% endfor %}
  </table>
  {% if ch.counts %}<table id="change-counts">
    <tr><th>{{ t('kind') }}</th><th>{{ t('change') }}</th><th class="n">{{ t('count') }}</th></tr>
    {% for (kind, change), n in ch.counts.items() %}
    <tr data-kind="{{ kind }}" data-change="{{ change }}"><td>{{ t(kind) }}</td>
      <td>{{ t(change) }}</td><td class="n">{{ n }}</td></tr>
    {% endfor %}
  </table>{% else %}<p>{{ t('no_changes') }}</p>{% endif %}
  {% if change_rows %}<table id="change-items">
    <tr><th>{{ t('kind') }}</th><th>{{ t('item') }}</th><th>{{ t('change') }}</th>
      <th>{{ t('detail') }}</th></tr>
    {% for r in change_rows %}<tr class="tl-change"><td>{{ t(r.kind) }}</td><td>{{ r.label }}</td>
      <td>{{ t(r.change) }}</td><td>{{ r.detail }}</td></tr>
    {% endfor %}
  </table>{% endif %}
  {% endif %}
</section>

<section id="rules">
  <h2>{{ t('rules') }}</h2>
  <p id="rule-text">{{ rule_text }}</p>
  <details class="params"><summary>{{ t('rule_id') }}: <code id="rule-id">{{ rule_id }}</code></summary>
  <table>
    <tr><th>{{ t('parameter') }}</th><th>{{ t('value') }}</th></tr>
    {% for k, v in rule_params %}
    <tr data-param="{{ k }}"><td><code>{{ k }}</code></td><td>{{ v }}</td></tr>
    {% endfor %}
  </table>
  <h3>{{ t('area_rules') }} ({{ regime }})</h3>
  <table>
    <tr><th>{{ t('parameter') }}</th><th>{{ t('value') }}</th></tr>
    {% for k, v in area_params %}<tr><td><code>{{ k }}</code></td><td>{{ v }}</td></tr>
    {% endfor %}
  </table>
  </details>
</section>

<section id="quality">
  <h2>{{ t('quality') }}</h2>
  <table id="files">
    <tr><th>{{ t('file') }}</th><th class="n">{{ t('read') }}</th>
      <th class="n">{{ t('accepted') }}</th><th class="n">{{ t('rejected') }}</th></tr>
    {% for f in q.files %}<tr><td>{{ f.file }}</td><td class="n">{{ f.read }}</td>
      <td class="n">{{ f.accepted }}</td><td class="n">{{ f.rejected }}</td></tr>
    {% endfor %}
  </table>
  <h3>{{ t('rejections_by_reason') }}</h3>
  {% if rejections %}<table id="rejections">
    <tr><th>{{ t('file') }}</th><th>{{ t('reason') }}</th><th class="n">{{ t('count') }}</th></tr>
    {% for r in rejections %}<tr data-reason="{{ r.reason }}"><td>{{ r.source }}</td>
      <td><code>{{ r.reason }}</code> {{ r.meaning }}</td><td class="n">{{ r.count }}</td></tr>
    {% endfor %}
  </table>{% else %}<p>{{ t('none') }}</p>{% endif %}
  <table id="scan-quality">
    <tr><td>{{ t('scans') }}</td><td class="n" data-key="scans">{{ q.scans }}</td></tr>
    <tr><td>{{ t('proxy_share') }}</td>
      <td class="n" data-key="proxy-share">
        {{- '%.1f%%' % (100 * q.proxy_share) }} ({{ q.proxy }})</td></tr>
    <tr><td>{{ t('remote_scans', m=q.geofence_m|int) }}</td>
      <td class="n" data-key="remote">{{ q.remote }}</td></tr>
    <tr><td>{{ t('with_position') }}</td>
      <td class="n" data-key="with-position">{{ q.with_position }}</td></tr>
    <tr><td>{{ t('merged_scans') }}</td><td class="n" data-key="merged">{{ q.merged }}</td></tr>
    <tr><td>{{ t('registry_faults') }}</td>
      <td class="n" data-key="registry-faults">{{ q.registry_faults }}</td></tr>
  </table>
  <h3>{{ t('set_aside') }}</h3>
  {% if q.set_aside %}<table id="set-aside">
    <tr><th>{{ t('case_no') }}</th><th class="n">{{ t('count') }}</th><th>{{ t('reason') }}</th></tr>
    {% for c in q.set_aside %}<tr><td>{{ t('case_label', n=c.case) }}</td>
      <td class="n">{{ c.n }}</td>
      <td>{% for r, n in c.reasons.items() %}<code>{{ r }}</code> {{ n }} {% endfor %}</td></tr>
    {% endfor %}
  </table>{% else %}<p>{{ t('none') }}</p>{% endif %}
</section>
<footer><p>{{ t('footer') }} {{ t('privacy') }}</p></footer>
</body>
</html>
"""
