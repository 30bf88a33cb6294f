"""config.yaml as one pydantic model, composed of one section per concern."""
