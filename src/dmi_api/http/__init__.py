"""HTTP edge: request context, middleware, problem rendering and the route class."""
