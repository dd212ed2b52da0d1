"""repowarden runtime: what the generated workflows execute on GitHub runners."""
