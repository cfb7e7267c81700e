import torch, torch.nn as nn
import torch.ao.nn.intrinsic as nni
m = nn.Sequential(nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 4)).eval()
f = torch.ao.quantization.fuse_modules(m, [['0', '1']])
q = torch.ao.quantization.quantize_dynamic(f, {nn.Linear, nni.LinearReLU}, dtype=torch.qint8)
print(q)
s = torch.jit.script(q); print(s.code); print(getattr(s, '0').code)
t = torch.jit.trace(q, torch.randn(2, 16)); print(t.code); print(getattr(t, '0').code)
pc = torch.ao.quantization.quantize_dynamic(nn.Sequential(nn.Linear(16, 8)), {nn.Linear: torch.ao.quantization.per_channel_dynamic_qconfig})
print(pc)
w, b = torch.ops.quantized.linear_unpack(pc[0]._packed_params._packed_params); print(w.qscheme(), w.q_per_channel_scales().dtype, w.q_per_channel_zero_points().dtype)
class S(nn.Module):
    def forward(self, x):
        return torch.view_as_real(torch.stft(x, 16, 4, return_complex=True))
print(torch.jit.script(S()).code)
