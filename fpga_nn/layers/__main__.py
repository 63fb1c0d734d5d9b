"""``python -m fpga_nn.layers``: print the supported-layers table docs/byom.md holds."""

from . import markdown_table

print(markdown_table(), end="")
