import torch, warnings
print(torch.__version__, torch.backends.quantized.engine, torch.backends.quantized.supported_engines)
x = torch.randn(2, 64)
try:
    y = torch.stft(x, 16, 4, window=torch.hann_window(16), return_complex=False); print('real ok', y.shape)
except Exception as e: print('real err', e)
class M(torch.nn.Module):
    def forward(self, x):
        return torch.view_as_real(torch.stft(x, 16, 4, window=torch.hann_window(16), return_complex=True))
s = torch.jit.script(M()); print(s.code)
t = torch.jit.trace(M(), x); print(t.code)
class P(torch.nn.Module):
    def forward(self, x):
        return torch.nn.functional.pad(x, [1, 2], mode='circular'), torch._cast_Long(x)
print(torch.jit.trace(P(), torch.randn(1,2,5)).code)
print(torch.jit.script(P()).code)
