"""The live-chat widget channel (`web`): widget.js, its JSON API and live replies by SSE."""
