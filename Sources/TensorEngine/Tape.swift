/// Placeholder: the recorded computation graph (filled in with the autodiff engine).
final class TapeNode {}
