"""End-to-end flows that chain the stages: data -> train -> convert -> verify -> report."""
