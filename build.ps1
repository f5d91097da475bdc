# Minerva.Native one-command build for Windows (the same steps as build.sh).
#   .\build.ps1            compile kernels\*.cu to PTX (nvcc from the CUDA toolkit on PATH), build the solution (Release)
#   .\build.ps1 test       build, run every test, end with "N passed, N failed, N skipped"
#   .\build.ps1 portable   self-contained win-x64 bundle in dist\
#   .\build.ps1 pack       NuGet packages in dist\: Minerva.Native, Minerva.Native.Server, minerva-native (the .NET tool)
param([ValidateSet("build", "test", "portable", "pack")][string]$Mode = "build")
$ErrorActionPreference = "Stop"
Set-Location $PSScriptRoot
$config = "Release"

function Build-Ptx {
    $nvcc = Get-Command nvcc -ErrorAction SilentlyContinue
    if (-not $nvcc -and $env:CUDA_PATH) { $nvcc = Get-Command (Join-Path $env:CUDA_PATH "bin\nvcc.exe") -ErrorAction SilentlyContinue }
    if (-not $nvcc) {
        Write-Warning "nvcc not found (install the CUDA toolkit and put nvcc on PATH): building the CPU-only engine"
        return
    }
    if (-not (Get-Command cmake -ErrorAction SilentlyContinue)) { Write-Warning "cmake not found: building the CPU-only engine"; return }
    cmake -S . -B build "-DNVCC_EXECUTABLE=$($nvcc.Source)"
    if ($LASTEXITCODE -ne 0) { throw "cmake configure failed" }
    cmake --build build --config $config
    if ($LASTEXITCODE -ne 0) { throw "PTX build failed" }
}

function Build-DotNet {
    dotnet build Minerva.Native.sln -c $config -nologo -v q
    if ($LASTEXITCODE -ne 0) { throw "dotnet build failed" }
    Set-Content -Path minerva-native.cmd -Value "@dotnet `"%~dp0src\Minerva.Native.Cli\bin\$config\net10.0\minerva-native.dll`" %*"
    Write-Host "done: .\minerva-native.cmd --help"
}

function Run-Tests {
    $exe = "tests\Minerva.Native.Tests\bin\$config\net10.0\Minerva.Native.Tests.exe"
    $out = & $exe --results-directory TestResults 2>&1 | Tee-Object -Variable lines
    $code = $LASTEXITCODE
    $text = $lines -join "`n"
    $get = { param($k) if ($text -match "(?m)^\s*${k}:\s*(\d+)") { $Matches[1] } else { "0" } }
    Write-Host "$(& $get 'succeeded') passed, $(& $get 'failed') failed, $(& $get 'skipped') skipped"
    exit $code
}

function Build-Portable {
    $dest = "dist\minerva-native-win-x64"
    if (Test-Path $dest) { Remove-Item -Recurse -Force $dest }
    dotnet publish src\Minerva.Native.Cli -c $config -r win-x64 --self-contained -o $dest
    dotnet publish tests\Minerva.Native.Tests -c $config -r win-x64 --self-contained -o $dest
    Compress-Archive -Force -Path $dest -DestinationPath "dist\minerva-native-win-x64.zip"
}

function Build-Packages {
    New-Item -ItemType Directory -Force dist | Out-Null
    Remove-Item -Force -ErrorAction SilentlyContinue dist\Minerva.Native.*.nupkg, dist\minerva-native.*.nupkg
    foreach ($project in Get-ChildItem src\*\*.csproj) {
        dotnet pack $project.FullName -c $config -nologo -v q -o dist
        if ($LASTEXITCODE -ne 0) { throw "dotnet pack $($project.Name) failed" }
    }
}

New-Item -ItemType Directory -Force build | Out-Null
switch ($Mode) {
    "build" { Build-Ptx; Build-DotNet }
    "test" { Build-Ptx; Build-DotNet; Run-Tests }
    "portable" { Build-Ptx; Build-Portable }
    "pack" { Build-Ptx; Build-Packages }
}
