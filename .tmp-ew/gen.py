import torch, torch.nn as nn, torch.nn.functional as F, sys, re
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.prelu = nn.PReLU(3); self.act = nn.ModuleList([nn.Hardswish(), nn.Hardsigmoid(), nn.SiLU(), nn.GELU(), nn.GELU('tanh'), nn.Mish(), nn.ELU(), nn.SELU(), nn.CELU(2.), nn.Softplus(), nn.LeakyReLU(0.2), nn.ReLU6(), nn.Hardtanh(-2., 2.), nn.Threshold(0.1, 2.), nn.Softshrink(), nn.Hardshrink(), nn.Tanh(), nn.Sigmoid(), nn.Softsign()])
    def forward(self, x, i):
        y = self.prelu(x)
        for a in self.act: y = a(y)
        y = F.softmax(y, 1) + F.log_softmax(y, -1) + F.glu(torch.cat([y, y], 1), 1)
        y = F.normalize(y, dim=1) + y.std(1, keepdim=True) + y.var() + y.mean([2, 3]).sum()[None, None, None, None]
        y = y + torch.norm(y, dim=1, keepdim=True) + y.amax(1, True) + y.max(1, True)[0] + torch.logsumexp(y, 1, True) + y.cumsum(1)
        y = torch.clamp(y, 0, 1) + y.clamp(min=0.1) + torch.where(y > 0, y, 0.) + y.masked_fill(y < 0, 1.) + y // 2 + y % 3 + y ** 2 + 2 ** y + torch.rsqrt(y.abs() + 1)
        z = (i & 3) | (i ^ 1) + (~i) + i // 2 + torch.div(i, 2, rounding_mode='floor') + i.argmax() + (i > 1).all().long() + (i == 2).any().long()
        return y, z, y.size(2) // 2, x.shape[3] / 2
x = torch.randn(1, 3, 4, 4); i = torch.arange(6)
tr = torch.jit.trace(M(), (x, i), check_trace=False)
sc = torch.jit.script(M())
import zipfile, io
for name, m in [('traced', tr), ('scripted', sc)]:
    buf = io.BytesIO(); torch.jit.save(m, buf)
    z = zipfile.ZipFile(buf); calls = set()
    for n in z.namelist():
        if n.endswith('.py'): calls |= set(re.findall(r'torch\.([a-zA-Z_0-9]+)\(', z.read(n).decode()))
    print(torch.__version__, name, ' '.join(sorted(calls)))
