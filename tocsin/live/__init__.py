"""Live delivery: this process's WebSocket connections and what is pushed to them."""
