"""The interactive page's script, style and skeleton (explore.js, explore.css, explore.html), read by viz_page."""
