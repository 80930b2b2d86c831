"""Charts from a render-neutral `ChartSpec`, in the house style from charts/style.yaml.

* `deckgen.charting.style`: `load_style()` -> frozen `ChartStyle` (palette, status and placeholder
  colours, fonts, sizes); `ChartStyle.with_palette(...)` for a template's theme colours.
* `deckgen.charting.mpl`: `render_png(spec, style, width_in, height_in, with_title=False)` and
  `warm_up()` (call in a batch parent before forking).
* `deckgen.charting.native`: `add_native_chart(slide, spec, left, top, width, height, style)`
  (editable python-pptx chart) and `set_alt_text(shape, text)`.

The renderers are separate modules, imported explicitly, so the deck model, the style and the
email code never pull in matplotlib or python-pptx unless they draw with them.
"""
