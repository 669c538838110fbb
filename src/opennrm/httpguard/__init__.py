"""HTTP request guards: bodies without a Content-Length (chunked) bounded while they stream."""
