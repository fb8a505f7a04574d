from django.shortcuts import render


def programme(request):
    return render(request, "credits/programme.html")
