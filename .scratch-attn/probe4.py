import torch, math, warnings
warnings.filterwarnings('ignore')
torch.manual_seed(0)
B,T,D,H = 2,5,8,2
dh = D//H
x = torch.randn(B,T,D)
W = torch.randn(3*D,D)*0.3; bqkv = torch.randn(3*D)*0.1
Wo = torch.randn(D,D)*0.3; bo = torch.randn(D)*0.1
def ref(q,k,v,mask_add=None, bool_mask=None):
    Q = q@W[:D].T + bqkv[:D]; K = k@W[D:2*D].T + bqkv[D:2*D]; V = v@W[2*D:].T + bqkv[2*D:]
    sp = lambda t: t.view(B, -1, H, dh).transpose(1,2)
    Q,K,V = sp(Q), sp(K), sp(V)
    s = (Q/math.sqrt(dh)) @ K.transpose(-1,-2)
    if bool_mask is not None:
        s = s.masked_fill(bool_mask, float('-inf'))
    if mask_add is not None: s = s + mask_add
    p = torch.softmax(s, -1)
    o = (p @ V).transpose(1,2).reshape(B,T,D)
    return o @ Wo.T + bo, p
def cmp(name, o, r):
    print(name, torch.allclose(o, r, atol=1e-6, equal_nan=True), o.isnan().sum().item())
with torch.no_grad():
    fm = torch.randn(B,T) * (torch.rand(B,T) > 0.5)
    print(fm)
    o, w = torch._native_multi_head_attention(x,x,x,D,H,W,bqkv,Wo,bo,fm,True,False,1)
    r1, p1 = ref(x,x,x,mask_add=fm[:,None,None,:])
    r2, p2 = ref(x,x,x,bool_mask=(fm!=0)[:,None,None,:])
    cmp('float kpm additive', o, r1); cmp('float kpm bool', o, r2)
    f4 = torch.randn(B,H,T,T) * (torch.rand(B,H,T,T) > 0.5)
    o, w = torch._native_multi_head_attention(x,x,x,D,H,W,bqkv,Wo,bo,f4,True,False,2)
    r1, p1 = ref(x,x,x,mask_add=f4)
    r2, p2 = ref(x,x,x,bool_mask=(f4!=0))
    cmp('float 4d additive', o, r1); cmp('float 4d bool', o, r2)
    kpm2 = torch.zeros(B,T,dtype=torch.bool); kpm2[0,:]=True
    o, w = torch._native_multi_head_attention(x,x,x,D,H,W,bqkv,Wo,bo,kpm2,True,False,1)
    r, p = ref(x,x,x,bool_mask=kpm2[:,None,None,:])
    cmp('kpm fully masked', o, r); cmp('  weights', w, p)
    # 3-D mask type 2? [B*H? ...]
    for shape in [(T,T),(B,1,T,T),(1,1,T,T),(B,1,1,T),(B,T,T),(H,T,T)]:
        m = torch.rand(*shape) > 0.7
        for mt in [0,1,2]:
            try:
                o, w = torch._native_multi_head_attention(x,x,x,D,H,W,bqkv,Wo,bo,m,True,False,mt)
                if mt == 1 and len(shape) == 2: bm = m[:,None,None,:] if shape[0]==B and False else None
                # try broadcast ref
                try:
                    r, p = ref(x,x,x,bool_mask=m)
                    ok_b = torch.allclose(o, r, atol=1e-6, equal_nan=True)
                except Exception: ok_b = 'n/a'
                try:
                    r, p = ref(x,x,x,bool_mask=m.reshape(B,1,1,T)) if m.numel()==B*T else (None,None)
                    ok_k = torch.allclose(o, r, atol=1e-6, equal_nan=True) if r is not None else 'n/a'
                except Exception: ok_k = 'n/a'
                print('shape', shape, 'type', mt, 'broadcast', ok_b, 'kpm-like', ok_k)
            except Exception as e:
                print('shape', shape, 'type', mt, 'ERR', str(e)[:80])
