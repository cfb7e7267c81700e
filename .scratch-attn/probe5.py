import torch, math, warnings
import torch.nn.functional as F
warnings.filterwarnings('ignore')
torch.manual_seed(0)
B,T,D,H,FF = 2,5,8,2,16
dh = D//H
x = torch.randn(B,T,D)
W = torch.randn(3*D,D)*0.3; bqkv = torch.randn(3*D)*0.1
Wo = torch.randn(D,D)*0.3; bo = torch.randn(D)*0.1
n1w, n1b, n2w, n2b = torch.rand(D)+0.5, torch.randn(D), torch.rand(D)+0.5, torch.randn(D)
f1w, f1b, f2w, f2b = torch.randn(FF,D)*0.3, torch.randn(FF)*0.1, torch.randn(D,FF)*0.3, torch.randn(D)*0.1
def mha(q, bool_mask=None):
    Q = q@W[:D].T + bqkv[:D]; K = q@W[D:2*D].T + bqkv[D:2*D]; V = q@W[2*D:].T + bqkv[2*D:]
    sp = lambda t: t.view(B, -1, H, dh).transpose(1,2)
    Q,K,V = sp(Q), sp(K), sp(V)
    s = (Q/math.sqrt(dh)) @ K.transpose(-1,-2)
    if bool_mask is not None: s = s.masked_fill(bool_mask, float('-inf'))
    p = torch.softmax(s, -1)
    o = (p @ V).transpose(1,2).reshape(B,T,D)
    return o @ Wo.T + bo
def ref(x, gelu, norm_first, eps, bool_mask=None):
    act = F.gelu if gelu else F.relu
    ln = lambda t, w, b: F.layer_norm(t, (D,), w, b, eps)
    ff = lambda t: act(t @ f1w.T + f1b) @ f2w.T + f2b
    if norm_first:
        x = x + mha(ln(x, n1w, n1b), bool_mask)
        return x + ff(ln(x, n2w, n2b))
    x = ln(x + mha(x, bool_mask), n1w, n1b)
    return ln(x + ff(x), n2w, n2b)
def run(gelu, nf, eps, mask=None, mt=None):
    return torch._transformer_encoder_layer_fwd(x, D, H, W, bqkv, Wo, bo, gelu, nf, eps, n1w, n1b, n2w, n2b, f1w, f1b, f2w, f2b, mask, mt)
with torch.no_grad():
    for gelu in [False, True]:
        for nf in [False, True]:
            o = run(gelu, nf, 1e-5); r = ref(x, gelu, nf, 1e-5)
            print('gelu', gelu, 'norm_first', nf, (o-r).abs().max().item())
    kpm = torch.zeros(B,T,dtype=torch.bool); kpm[1,3:]=True
    o = run(False, False, 1e-5, kpm, 1); r = ref(x, False, False, 1e-5, kpm[:,None,None,:])
    print('kpm', (o-r).abs().max().item())
    o = run(False, False, 1e-5, kpm.float()*-3, 1)
    print('kpm float', (o-r).abs().max().item())
    am = torch.triu(torch.ones(T,T,dtype=torch.bool),1)
    try:
        o = run(False, True, 1e-5, am, 0); r = ref(x, False, True, 1e-5, am)
        print('am0', (o-r).abs().max().item())
    except Exception as e: print('am0 ERR', str(e)[:100])
    m4 = torch.rand(B,H,T,T) > 0.7
    try:
        o = run(False, True, 1e-5, m4, 2); r = ref(x, False, True, 1e-5, m4)
        print('m4', (o-r).abs().max().item())
    except Exception as e: print('m4 ERR', str(e)[:100])
    kpm2 = kpm.clone(); kpm2[0,:] = True
    o = run(False, False, 1e-5, kpm2, 1); r = ref(x, False, False, 1e-5, kpm2[:,None,None,:])
    print('fully masked', o.isnan().sum().item(), r.isnan().sum().item(), (o[1]-r[1]).abs().max().item())
