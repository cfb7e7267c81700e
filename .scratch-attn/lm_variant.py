import sys, os, torch
sys.path.insert(0, '/work/main/scripts/fixtures')
import models
from common import save_case, randomize_norm, build_module, example_inputs
class Variant(models.TinyDecoderLM):
    def forward(self, ids):
        length = ids.size(1)
        x = self.tokens(ids) + self.positions.weight[:length]
        causal = torch.triu(torch.full((length, length), float('-inf'), device=ids.device), diagonal=1)
        for layer in self.layers:
            x = layer(x, src_mask=causal)
        return self.head(self.norm(x))
m = randomize_norm(build_module(Variant))
print(save_case('/work/main/.scratch-attn/cases', 'lm_variant', m, example_inputs('tiny_decoder_lm', ['int64[2,6]'])))
