"""Use cases of notices (see ``service_layer.notices``)."""
