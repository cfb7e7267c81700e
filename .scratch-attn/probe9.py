import torch, math, warnings
import torch.nn as nn, torch.nn.functional as F
warnings.filterwarnings('ignore')
torch.manual_seed(0)
exec(open('probe6.py').read().split("def cmp")[0].split("torch.manual_seed(0)")[1])
def cmp(name, o, r): print(name, (o-r).abs().max().item(), o.isnan().sum().item(), r.isnan().sum().item())
sd = torch._C._nn._scaled_dot_product_attention
q = torch.randn(2,2,5,4); k = torch.randn(2,2,7,4); v = torch.randn(2,2,7,3)
for nw in [False, True]:
    o, w = sd(q,k,v,None,0.0,nw,False); cmp('plain', o, ref(q,k,v)); print(' w', w.shape if w is not None else None)
    m = torch.rand(5,7) > 0.3
    o, w = sd(q,k,v,m,0.0,nw,False); cmp('bool', o, ref(q,k,v,mask=m))
    m2 = m.clone(); m2[0,:] = False
    o, w = sd(q,k,v,m2,0.0,nw,False); cmp('bool fully', o, ref(q,k,v,mask=m2))
    fm = torch.randn(2,1,5,7)
    try: o, w = sd(q,k,v,fm,0.0,nw,False); cmp('float', o, ref(q,k,v,mask=fm))
    except Exception as e: print('float ERR', str(e)[:90])
    o, w = sd(q,k,v,None,0.0,nw,True); cmp('causal', o, ref(q,k,v,causal=True))
    if w is not None:
        s = torch.softmax(q @ k.transpose(-1,-2) / 2, -1); print(' weights', (w - s).abs().max().item())
q3 = torch.randn(3,5,4); k3 = torch.randn(3,7,4); v3 = torch.randn(3,7,4)
o, w = sd(q3,k3,v3,None,0.0,False,False); cmp('3d', o, ref(q3,k3,v3))
for causal in [False, True]:
    m = torch.rand(5,7) > 0.3
    for mm in [None, m] if not causal else [None]:
        o, w = sd(q,k,v,mm,0.0,True,causal)
        L,S=5,7
        s = q @ k.transpose(-1,-2) / 2
        if causal: s = s.masked_fill(~torch.ones(L,S,dtype=torch.bool).tril(), float('-inf'))
        if mm is not None: s = s.masked_fill(~mm, float('-inf'))
        print('weights causal', causal, 'mask', mm is not None, (w - torch.softmax(s,-1)).abs().max().item())
        o, w2 = sd(q,k,v,mm,0.0,False,causal); print('  same when need=False', (w2-w).abs().max().item())
