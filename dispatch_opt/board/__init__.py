"""The dispatcher's board: a web page served by `dispatch-opt serve` at `/` (static files in
`static/`, no build step), and the move preview behind it (preview.py, router.py)."""
