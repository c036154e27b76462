"""HTTP edge: Chalice blueprints. Routes parse a DTO, call one service, return a DTO."""
