import torch, math
torch.manual_seed(0)
B,T,D,H = 2,5,8,2
dh = D//H
x = torch.randn(B,T,D)
W = torch.randn(3*D,D)*0.3; bqkv = torch.randn(3*D)*0.1
Wo = torch.randn(D,D)*0.3; bo = torch.randn(D)*0.1
def ref(q,k,v,mask_add=None, bool_mask=None, zero_full=True):
    Q = q@W[:D].T + bqkv[:D]; K = k@W[D:2*D].T + bqkv[D:2*D]; V = v@W[2*D:].T + bqkv[2*D:]
    sp = lambda t: t.view(B, -1, H, dh).transpose(1,2)
    Q,K,V = sp(Q), sp(K), sp(V)
    s = (Q/math.sqrt(dh)) @ K.transpose(-1,-2)
    if bool_mask is not None:
        s = s.masked_fill(bool_mask, float('-inf'))
    if mask_add is not None: s = s + mask_add
    p = torch.softmax(s, -1)
    if zero_full: p = torch.nan_to_num(p, nan=0.0)
    o = (p @ V).transpose(1,2).reshape(B,T,D)
    return o @ Wo.T + bo, p
with torch.no_grad():
    # no mask
    o, w = torch._native_multi_head_attention(x,x,x,D,H,W,bqkv,Wo,bo,None,True,False)
    r, p = ref(x,x,x)
    print('nomask', (o-r).abs().max().item(), (w-p).abs().max().item(), w.shape)
    o, w = torch._native_multi_head_attention(x,x,x,D,H,W,bqkv,Wo,bo,None,True,True)
    print('avg', (w-p.mean(1)).abs().max().item(), w.shape)
    o, w = torch._native_multi_head_attention(x,x,x,D,H,W,bqkv,Wo,bo,None,False)
    print('noweights', w)
    # kpm bool type 1 with a fully masked batch
    kpm = torch.zeros(B,T,dtype=torch.bool); kpm[1,3:]=True
    o, w = torch._native_multi_head_attention(x,x,x,D,H,W,bqkv,Wo,bo,kpm,True,False,1)
    r, p = ref(x,x,x,bool_mask=kpm[:,None,None,:])
    print('kpm1', (o-r).abs().max().item(), (w-p).abs().max().item())
    kpm2 = kpm.clone(); kpm2[0,:]=True
    o, w = torch._native_multi_head_attention(x,x,x,D,H,W,bqkv,Wo,bo,kpm2,True,False,1)
    r, p = ref(x,x,x,bool_mask=kpm2[:,None,None,:])
    print('kpm fully masked', (o-r).abs().max().item(), (w-p).abs().max().item(), o[0,0,:3], r[0,0,:3])
    # attn mask type 0
    am = torch.triu(torch.ones(T,T,dtype=torch.bool),1)
    try:
        o, w = torch._native_multi_head_attention(x,x,x,D,H,W,bqkv,Wo,bo,am,True,False,0)
        r, p = ref(x,x,x,bool_mask=am)
        print('am0', (o-r).abs().max().item(), (w-p).abs().max().item())
    except Exception as e: print('am0 err', e)
    # type 2
    m4 = torch.rand(B,H,T,T) > 0.6
    try:
        o, w = torch._native_multi_head_attention(x,x,x,D,H,W,bqkv,Wo,bo,m4,True,False,2)
        r, p = ref(x,x,x,bool_mask=m4)
        print('m4 type2', (o-r).abs().max().item(), (w-p).abs().max().item())
    except Exception as e: print('type2 err', e)
    try:
        o, w = torch._native_multi_head_attention(x,x,x,D,H,W,bqkv,Wo,bo,m4,True,False,None)
        print('m4 typeNone', (o-r).abs().max().item(), (w-p).abs().max().item())
    except Exception as e: print('typeNone err', e)
    try:
        o, w = torch._native_multi_head_attention(x,x,x,D,H,W,bqkv,Wo,bo,am,True,False,None)
        r, p = ref(x,x,x,bool_mask=am)
        print('am typeNone', (o-r).abs().max().item(), (w-p).abs().max().item())
    except Exception as e: print('am typeNone err', str(e)[:200])
    try:
        o, w = torch._native_multi_head_attention(x,x,x,D,H,W,bqkv,Wo,bo,kpm,True,False,None)
        r, p = ref(x,x,x,bool_mask=kpm[:,None,None,:])
        print('kpm typeNone', (o-r).abs().max().item(), (w-p).abs().max().item())
    except Exception as e: print('kpm typeNone err', str(e)[:200])
    # float masks
    fm = torch.randn(B,T)
    o, w = torch._native_multi_head_attention(x,x,x,D,H,W,bqkv,Wo,bo,fm,True,False,1)
    r1, p1 = ref(x,x,x,mask_add=fm[:,None,None,:])
    r2, p2 = ref(x,x,x,bool_mask=(fm!=0)[:,None,None,:])
    print('float kpm: additive', (o-r1).abs().max().item(), 'bool', (o-r2).abs().max().item())
    fm = torch.zeros(B,T); fm[1,3:] = float('-inf')
    o, w = torch._native_multi_head_attention(x,x,x,D,H,W,bqkv,Wo,bo,fm,True,False,1)
    r1, p1 = ref(x,x,x,mask_add=fm[:,None,None,:])
    print('float -inf kpm: additive', (o-r1).abs().max().item())
    fa = torch.randn(T,T)
    o, w = torch._native_multi_head_attention(x,x,x,D,H,W,bqkv,Wo,bo,fa,True,False,0)
    r1, p1 = ref(x,x,x,mask_add=fa)
    r2, p2 = ref(x,x,x,bool_mask=(fa!=0))
    print('float am0: additive', (o-r1).abs().max().item(), 'bool', (o-r2).abs().max().item())
    f4 = torch.randn(B,H,T,T)
    o, w = torch._native_multi_head_attention(x,x,x,D,H,W,bqkv,Wo,bo,f4,True,False,2)
    r1, p1 = ref(x,x,x,mask_add=f4)
    print('float 4d type2: additive', (o-r1).abs().max().item())
    # different q,k,v
    y = torch.randn(B,T,D); z = torch.randn(B,T,D)
    o, w = torch._native_multi_head_attention(x,y,z,D,H,W,bqkv,Wo,bo,None,True,False)
    r, p = ref(x,y,z)
    print('qkv distinct', (o-r).abs().max().item())
    y7 = torch.randn(B,7,D)
    try:
        o, w = torch._native_multi_head_attention(x,y7,y7,D,H,W,bqkv,Wo,bo,None,True,False)
        print('S != T ok', o.shape, w.shape)
    except Exception as e: print('S!=T err', str(e)[:200])
