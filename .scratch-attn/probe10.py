import torch, torch.nn as nn
class P(nn.Module):
    def forward(self, q, k, v, m):
        return torch._C._nn._scaled_dot_product_attention(q, k, v, m, 0.0, True, False)
q = torch.randn(2,2,5,4); m = torch.rand(5,5) > 0.3
t = torch.jit.trace(P(), (q,q,q,m)); print(t.code)
print(torch.jit.script(P()).code)
