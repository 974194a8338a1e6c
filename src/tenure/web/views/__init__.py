"""The pages, one module per area. Each view parses the request, makes one selector or service
call and renders; a request from htmx gets the fragment it asked for instead of the page."""
