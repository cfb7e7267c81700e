import torch, math, warnings
import torch.nn as nn, torch.nn.functional as F
warnings.filterwarnings('ignore')
torch.manual_seed(0)
def ref(q,k,v,mask=None,causal=False,scale=None,gqa=False, zero_full=False):
    L,S = q.size(-2), k.size(-2)
    sc = scale if scale is not None else 1/math.sqrt(q.size(-1))
    if gqa:
        k = k.repeat_interleave(q.size(-3)//k.size(-3), -3); v = v.repeat_interleave(q.size(-3)//v.size(-3), -3)
    s = q @ k.transpose(-2,-1) * sc
    if causal: s = s.masked_fill(~torch.ones(L,S,dtype=torch.bool).tril(), float('-inf'))
    if mask is not None:
        s = s.masked_fill(~mask, float('-inf')) if mask.dtype==torch.bool else s + mask
    p = torch.softmax(s, -1)
    if zero_full: p = torch.nan_to_num(p, nan=0.0)
    return p @ v
def cmp(name, o, r): print(name, (o-r).abs().max().item(), o.isnan().sum().item(), r.isnan().sum().item())
q = torch.randn(2,2,5,4); k = torch.randn(2,2,7,4); v = torch.randn(2,2,7,3)
cmp('plain', F.scaled_dot_product_attention(q,k,v), ref(q,k,v))
cmp('causal L<S', F.scaled_dot_product_attention(q,k,v,is_causal=True), ref(q,k,v,causal=True))
qq = torch.randn(2,2,7,4); kk = torch.randn(2,2,5,4); vv=torch.randn(2,2,5,3)
cmp('causal L>S', F.scaled_dot_product_attention(qq,kk,vv,is_causal=True), ref(qq,kk,vv,causal=True))
cmp('causal L>S zero', F.scaled_dot_product_attention(qq,kk,vv,is_causal=True), ref(qq,kk,vv,causal=True,zero_full=True))
m = torch.rand(5,7) > 0.3
cmp('bool mask', F.scaled_dot_product_attention(q,k,v,attn_mask=m), ref(q,k,v,mask=m))
m2 = m.clone(); m2[0,:] = False
cmp('bool mask fully masked', F.scaled_dot_product_attention(q,k,v,attn_mask=m2), ref(q,k,v,mask=m2))
cmp('bool mask fully masked zero', F.scaled_dot_product_attention(q,k,v,attn_mask=m2), ref(q,k,v,mask=m2, zero_full=True))
fm = torch.randn(2,1,5,7)
cmp('float mask', F.scaled_dot_product_attention(q,k,v,attn_mask=fm), ref(q,k,v,mask=fm))
fm2 = fm.clone(); fm2[:,:,1,:] = float('-inf')
cmp('float fully masked zero', F.scaled_dot_product_attention(q,k,v,attn_mask=fm2), ref(q,k,v,mask=fm2, zero_full=True))
cmp('scale', F.scaled_dot_product_attention(q,k,v,scale=0.3), ref(q,k,v,scale=0.3))
q8 = torch.randn(2,4,5,4)
cmp('gqa', F.scaled_dot_product_attention(q8,k,v,enable_gqa=True), ref(q8,k,v,gqa=True))
q3 = torch.randn(3,5,4); k3 = torch.randn(3,7,4); v3 = torch.randn(3,7,4)
cmp('3d', F.scaled_dot_product_attention(q3,k3,v3), ref(q3,k3,v3))
try: cmp('causal+mask', F.scaled_dot_product_attention(q,k,v,attn_mask=m, is_causal=True), ref(q,k,v,mask=m,causal=True))
except Exception as e: print('causal+mask ERR', str(e)[:100])
cmp('dropout eval?', F.scaled_dot_product_attention(q,k,v,dropout_p=0.5), ref(q,k,v))
class S(nn.Module):
    def forward(self, q, k, v, m): return F.scaled_dot_product_attention(q, k, v, attn_mask=m, scale=0.25)
t = torch.jit.trace(S(), (q,k,v,m)); print(t.code); print(torch.jit.script(S()).code)
class C(nn.Module):
    def forward(self, q, k, v): return F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
t = torch.jit.trace(C(), (q8,k,v)); print(t.code); print(torch.jit.script(C()).code)
# MHA in 2.6 traced with need_weights False
mha = nn.MultiheadAttention(8, 2, batch_first=True).eval()
class M(nn.Module):
    def __init__(s): super().__init__(); s.mha = mha
    def forward(s, x, kpm): return s.mha(x, x, x, key_padding_mask=kpm, need_weights=False)[0]
x = torch.randn(2,5,8); kpm = torch.zeros(2,5,dtype=torch.bool); kpm[1,3:]=True
with torch.no_grad(): t = torch.jit.trace(M().eval(), (x,kpm), check_trace=False)
print(t.mha.code)
class M2(nn.Module):
    def __init__(s): super().__init__(); s.mha = nn.MultiheadAttention(8, 2, batch_first=True)
    def forward(s, x, am): return s.mha(x, x, x, attn_mask=am)
am = torch.triu(torch.ones(5,5,dtype=torch.bool),1)
with torch.no_grad(): t = torch.jit.trace(M2().eval(), (x,am), check_trace=False)
print(t.mha.code)
