import torch, math, warnings
warnings.filterwarnings('ignore')
exec(open('probe4.py').read().split('def cmp')[0])
def cmp(name, o, r):
    print(name, torch.allclose(o, r, atol=1e-6, equal_nan=True), o.isnan().sum().item(), (o-r).abs().max().item())
with torch.no_grad():
  for nw in [True, False]:
    print('need_weights', nw)
    fm = torch.randn(B,T) * (torch.rand(B,T) > 0.5)
    o, w = torch._native_multi_head_attention(x,x,x,D,H,W,bqkv,Wo,bo,fm,nw,False,1)
    cmp(' float kpm additive', o, ref(x,x,x,mask_add=fm[:,None,None,:])[0]); cmp(' float kpm bool', o, ref(x,x,x,bool_mask=(fm!=0)[:,None,None,:])[0])
    f4 = torch.randn(B,H,T,T) * (torch.rand(B,H,T,T) > 0.5)
    o, w = torch._native_multi_head_attention(x,x,x,D,H,W,bqkv,Wo,bo,f4,nw,False,2)
    cmp(' float 4d additive', o, ref(x,x,x,mask_add=f4)[0]); cmp(' float 4d bool', o, ref(x,x,x,bool_mask=(f4!=0))[0])
    kpm2 = torch.zeros(B,T,dtype=torch.bool); kpm2[0,:]=True; kpm2[1,3:]=True
    o, w = torch._native_multi_head_attention(x,x,x,D,H,W,bqkv,Wo,bo,kpm2,nw,False,1)
    r = ref(x,x,x,bool_mask=kpm2[:,None,None,:])[0]
    cmp(' kpm fully masked', o, r); print('  row0', o[0,0,:3], 'row1 diff', (o[1]-r[1]).abs().max().item())
    kf = torch.zeros(B,T); kf[0,:] = float('-inf'); kf[1,3:] = float('-inf')
    o, w = torch._native_multi_head_attention(x,x,x,D,H,W,bqkv,Wo,bo,kf,nw,False,1)
    cmp(' kpm float fully masked', o, r); print('  row0', o[0,0,:3])
    if hasattr(torch.nn.functional, 'scaled_dot_product_attention'):
      x4 = x
    o, w = torch._native_multi_head_attention(x,x,x,D,H,W,bqkv,Wo,bo,None,nw,True,None)
    cmp(' nomask', o, ref(x,x,x)[0])
