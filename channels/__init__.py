"""Channel adapters: translate provider traffic to and from InboundMessage/OutboundMessage."""
