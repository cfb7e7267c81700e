import torch, math, warnings
import torch.nn as nn, torch.nn.functional as F
warnings.filterwarnings('ignore')
torch.manual_seed(0)
x = torch.randn(2,5,8); kpm = torch.zeros(2,5,dtype=torch.bool); kpm[1,3:]=True
enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2).eval()
class E(nn.Module):
    def __init__(s): super().__init__(); s.enc = enc
    def forward(s, x, kpm): return s.enc(x, src_key_padding_mask=kpm)
with torch.no_grad(): t = torch.jit.trace(E().eval(), (x,kpm), check_trace=False)
print('=== encoder kpm'); print(t.enc.code); print(getattr(t.enc.layers,'0').code)
class Dec(nn.Module):
    def __init__(s):
        super().__init__(); s.layer = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, norm_first=True)
    def forward(s, x):
        m = torch.triu(torch.full((5,5), float('-inf')), 1)
        return s.layer(x, src_mask=m)
with torch.no_grad(): t = torch.jit.trace(Dec().eval(), (x,), check_trace=False)
print('=== prenorm causal'); print(t.code); print(t.layer.code); 
try: print(t.layer.self_attn.code)
except Exception as e: print(e)
with torch.no_grad(): t = torch.jit.trace(enc, (x,), check_trace=False)
print('=== encoder plain'); print(t.code); print(getattr(t.layers,'0').code)
